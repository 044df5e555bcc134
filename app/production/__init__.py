"""Production: from a checked part to a machine program (slicing, toolpaths), and from a plan to a price."""
