//! Integration tests, compiled as one binary (one module per area).

mod backprop;
mod cgan;
mod checkpoint;
mod cli;
mod cyclegan;
mod data;
mod explore;
mod families;
mod families_ui;
mod fuzz;
mod i18n;
mod infogan;
mod ops;
mod pix2pix;
mod pixelcnn;
mod quality;
mod regression;
mod toy;
mod train;
mod ui;
mod window;
mod worker;
