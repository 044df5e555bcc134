// Plant tag: a stake with the plant's name to push into the soil.

/* [Text] */
// The plant's name
label = "Basil"; // 14
// A second line, e.g. the sowing date (may be empty)
note = "May 2026"; // 16

/* [Size] */
// Length of the stake in mm
stake_length = 70; // [40:5:120]
// Thickness in mm
thickness = 2; // [1.6:0.2:3]

/* [Hidden] */
$fn = 24;
sign_w = 70;
sign_h = 26;
font = "Liberation Sans:style=Bold";

union() {
    translate([0, 0, 0]) cube([sign_w, sign_h, thickness]);
    // the stake, pointed at the bottom
    translate([sign_w / 2, 0, 0]) linear_extrude(thickness)
        polygon([[-5, 0.5], [5, 0.5], [5, -stake_length + 10], [0, -stake_length], [-5, -stake_length + 10]]);
    translate([sign_w / 2, sign_h * 0.64, thickness - 0.01]) linear_extrude(1.01)
        resize([min(sign_w - 6, len(label) * 6.2), 0], auto = [true, true, false])
            text(label, size = 8, font = font, halign = "center", valign = "center");
    if (len(note) > 0)
        translate([sign_w / 2, sign_h * 0.24, thickness - 0.01]) linear_extrude(0.81)
            text(note, size = 4.5, font = font, halign = "center", valign = "center");
}
