//! Teaching games, without any UI: what the window's classroom tools compute.
//!
//! - [`events`]: moments worth pausing for — D wins, mode collapse, equilibrium.
//! - [`judge`]: "you are the discriminator" — the student and D pick the fake in the
//!   same pairs of a real and a generated digit, and both are scored.

pub mod events;
pub mod judge;
