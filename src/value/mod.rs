//! From expected purchases to money: discounting, customer lifetime value, the simple formula, customer equity,
//! segments and the acquisition cost a segment can bear, with intervals.

pub mod bootstrap;
pub mod compare;
pub mod discount;
pub mod interpolate;
pub mod lifetime;
pub mod segments;
pub mod sensitivity;
pub mod simple;
