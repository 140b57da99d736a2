//! Spend models: how much a customer spends per transaction. Gamma-Gamma (Fader, Hardie & Lee 2005, JMR).

pub mod gamma_gamma;

pub use gamma_gamma::GammaGamma;
