// Coaster for the CNC router: a round or square board with engraved initials (2-D, exported as SVG).

/* [Text] */
// The initials on the coaster
initials = "AB"; // 3
// Lettering
font_style = "sans"; // [sans:Sans, serif:Serif]

/* [Board] */
// Size across in mm
size = 95; // [70:5:120]
// Shape
shape = "round"; // [round:Round, square:Square]

/* [Hidden] */
$fn = 96;
border = 1.5;

function font_of(style) = style == "sans" ? "Liberation Sans:style=Bold" : "Liberation Serif:style=Bold";

module board() {
    if (shape == "round") translate([size / 2, size / 2]) circle(d = size);
    else hull() for (x = [8, size - 8], y = [8, size - 8]) translate([x, y]) circle(r = 8);
}

// the outline of the board (cut out), then the initials inside it (engraved along their lines)
difference() {
    board();
    offset(delta = -border) board();
}
translate([size / 2, size / 2])
    resize([min(size * 0.6, len(initials) * size * 0.25), 0], auto = [true, true])
        text(initials, size = size * 0.3, font = font_of(font_style), halign = "center", valign = "center");
