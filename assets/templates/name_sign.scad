// Name sign for the laser engraver: a rounded board outline with an engraved name (2-D, exported as SVG).

/* [Text] */
// The name on the sign
name = "Familie Weber"; // 20
// Lettering
font_style = "serif"; // [sans:Sans, serif:Serif]

/* [Board] */
// Board width in mm
width = 160; // [80:10:300]
// Board height in mm
height = 60; // [30:5:150]
// Corner radius in mm
corner = 6; // [0:1:20]
// Two holes for hanging
holes = true;

/* [Hidden] */
$fn = 48;
border = 1.2;

function font_of(style) = style == "sans" ? "Liberation Sans:style=Bold" : "Liberation Serif:style=Bold";

module board() {
    r = max(corner, 0.01);
    hull() for (x = [r, width - r], y = [r, height - r]) translate([x, y]) circle(r = r);
}

// the outline of the board (cut), then the engraved name inside it
difference() {
    board();
    offset(delta = -border) board();
}
if (holes) for (x = [10, width - 10]) translate([x, height - 10]) difference() { circle(d = 5); circle(d = 5 - 2 * border); }
translate([width / 2, height / 2])
    resize([min(width - 24, len(name) * height * 0.33), 0], auto = [true, true])
        text(name, size = height * 0.35, font = font_of(font_style), halign = "center", valign = "center");
