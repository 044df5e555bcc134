// Name keychain: a rounded tag with raised letters and a hole for the key ring.

/* [Text] */
// The name on the tag
name = "Anna"; // 12
// Letter height in mm
text_size = 9; // [6:0.5:14]
// Lettering
font_style = "sans"; // [sans:Sans bold, serif:Serif bold, mono:Typewriter]

/* [Shape] */
// Thickness of the tag in mm
base_thickness = 2.4; // [1.6:0.2:4]
// How far the letters stand out in mm
letter_height = 1.2; // [0.6:0.2:2.4]
// Round the corners
rounded = true;

/* [Hidden] */
$fn = 32;
margin = 3;
hole_d = 4.5;

function font_of(style) =
    style == "serif" ? "Liberation Serif:style=Bold" :
    style == "mono" ? "Liberation Mono:style=Bold" : "Liberation Sans:style=Bold";

module plate(l, w, t) {
    r = rounded ? w / 4 : 0.01;
    hull() for (x = [r, l - r], y = [r, w - r]) translate([x, y, 0]) cylinder(r = r, h = t);
}

l = max(30, len(name) * text_size * 0.8 + 2 * margin + hole_d + 4);
w = text_size + 2 * margin + 2;
difference() {
    plate(l, w, base_thickness);
    translate([margin + hole_d / 2, w / 2, -1]) cylinder(d = hole_d, h = base_thickness + 2);
}
translate([margin + hole_d + 3, w / 2, base_thickness - 0.01])
    linear_extrude(letter_height + 0.01)
        text(name, size = text_size, font = font_of(font_style), halign = "left", valign = "center");
