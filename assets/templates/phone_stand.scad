// Phone stand: a folded wedge with a lip that holds a phone at the chosen angle.

/* [Size] */
// Viewing angle in degrees (steeper is more upright)
angle = 65; // [45:5:80]
// Width of the stand in mm
width = 70; // [50:5:110]
// Phone thickness including its case, in mm
phone_thickness = 11; // [7:1:16]

/* [Details] */
// Leave a slot for the charging cable
cable_slot = true;

/* [Hidden] */
wall = 4;
depth = 80;
back_height = 70;
lip = 10;

module profile() {
    // side view in the X/Y plane, extruded along the width
    polygon([
        [0, 0], [depth, 0],
        [depth - back_height / tan(angle), back_height],
        [depth - back_height / tan(angle) - wall, back_height],
        [depth - wall - (back_height - wall) / tan(angle), wall],
        [wall + phone_thickness + wall, wall],
        [wall + phone_thickness + wall, lip], [wall + phone_thickness, lip],
        [wall + phone_thickness, wall], [wall, wall], [wall, lip], [0, lip]
    ]);
}

difference() {
    rotate([90, 0, 0]) translate([0, 0, -width]) linear_extrude(width) profile();
    if (cable_slot)
        translate([wall - 1, width / 2 - 6, -1]) cube([phone_thickness + 2, 12, wall + 2]);
}
