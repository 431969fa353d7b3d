//! Integration tests, compiled as one binary (one module per area).

mod checkpoint;
mod cli;
mod data;
mod explore;
mod i18n;
mod ops;
mod toy;
mod train;
mod ui;
mod window;
mod worker;
