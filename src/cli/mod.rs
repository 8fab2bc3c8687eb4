//! The commands of the `kvsim` binary that have grown past a few lines, each in its own file.

pub mod check;
pub mod client;
pub mod cluster;
pub mod gate;
pub mod hunt;
pub mod net;
pub mod replica;
pub mod run;
pub mod shrink;
pub mod sweep;
