"""Design sources: the template catalog, OpenSCAD rendering, uploads and part checks."""
