//! What the models share: special functions, the hypergeometric function, the optimiser, small linear algebra.

pub mod hyp2f1;
pub mod incomplete_gamma;
pub mod linalg;
pub mod optimize;
pub mod quadrature;
pub mod special;
