//! Adaptive Gauss-Kronrod quadrature (7-point Gauss, 15-point Kronrod; Piessens et al., QUADPACK 1983) for
//! smooth one-dimensional integrals on a finite interval.

const KRONROD_NODES: [f64; 8] = [
    0.991_455_371_120_812_639_206_854_697_526_3,
    0.949_107_912_342_758_524_526_189_684_047_9,
    0.864_864_423_359_769_072_789_712_788_640_9,
    0.741_531_185_599_394_439_863_864_773_280_8,
    0.586_087_235_467_691_130_294_144_845_693_0,
    0.405_845_151_377_397_166_906_606_412_076_9,
    0.207_784_955_007_898_467_600_689_403_773_2,
    0.0,
];
const KRONROD_WEIGHTS: [f64; 8] = [
    0.022_935_322_010_529_224_963_732_008_058_97,
    0.063_092_092_629_978_553_290_700_663_189_20,
    0.104_790_010_322_250_183_839_876_322_541_5,
    0.140_653_259_715_525_918_745_189_590_510_2,
    0.169_004_726_639_267_902_826_583_426_598_6,
    0.190_350_578_064_785_409_913_256_402_421_0,
    0.204_432_940_075_298_892_414_161_999_234_6,
    0.209_482_141_084_727_828_012_999_174_891_7,
];
/// Weights of the embedded 7-point Gauss rule on Kronrod nodes 1, 3, 5, 7 (index 7 is the centre).
const GAUSS_WEIGHTS: [f64; 4] = [
    0.129_484_966_168_869_693_270_611_432_679_1,
    0.279_705_391_489_276_667_901_467_771_423_8,
    0.381_830_050_505_118_944_950_369_775_488_98,
    0.417_959_183_673_469_387_755_102_040_816_3,
];

/// One panel: the Kronrod estimates of each component and the largest difference from the Gauss estimates.
fn panel<const N: usize>(f: &dyn Fn(f64) -> [f64; N], a: f64, b: f64) -> ([f64; N], f64) {
    let centre = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let fc = f(centre);
    let mut kronrod = fc.map(|v| KRONROD_WEIGHTS[7] * v);
    let mut gauss = fc.map(|v| GAUSS_WEIGHTS[3] * v);
    for k in 0..7 {
        let dx = half * KRONROD_NODES[k];
        let (lo, hi) = (f(centre - dx), f(centre + dx));
        for j in 0..N {
            let pair = lo[j] + hi[j];
            kronrod[j] += KRONROD_WEIGHTS[k] * pair;
            if k % 2 == 1 {
                gauss[j] += GAUSS_WEIGHTS[k / 2] * pair;
            }
        }
    }
    let error = (0..N).map(|j| (kronrod[j] - gauss[j]).abs() * half).fold(0.0, f64::max);
    (kronrod.map(|v| v * half), error)
}

/// ∫_a^b f, bisecting the panel with the largest error estimate until the total estimated error is below
/// `relative_tolerance` times the integral's magnitude (at most 2,000 panels).
pub fn integrate(f: &dyn Fn(f64) -> f64, a: f64, b: f64, relative_tolerance: f64) -> f64 {
    integrate_many(&|x| [f(x)], a, b, relative_tolerance)[0]
}

/// ∫_a^b of a vector of functions evaluated together, refined until the largest component error is below
/// `relative_tolerance` times the smallest component magnitude (at most 2,000 panels).
pub fn integrate_many<const N: usize>(
    f: &dyn Fn(f64) -> [f64; N],
    a: f64,
    b: f64,
    relative_tolerance: f64,
) -> [f64; N] {
    if a == b {
        return [0.0; N];
    }
    let (value, error) = panel(f, a, b);
    let mut panels = vec![(a, b, value, error)];
    let total = |panels: &[(f64, f64, [f64; N], f64)]| {
        let mut sum = [0.0; N];
        for p in panels {
            (0..N).for_each(|j| sum[j] += p.2[j]);
        }
        sum
    };
    for _ in 0..2000 {
        let sum = total(&panels);
        let scale = sum.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
        let total_error: f64 = panels.iter().map(|p| p.3).sum();
        if total_error <= relative_tolerance * scale || total_error < 1e-300 {
            return sum;
        }
        let worst = (0..panels.len()).max_by(|&i, &j| panels[i].3.total_cmp(&panels[j].3)).expect("non-empty");
        let (lo, hi, _, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        let (v1, e1) = panel(f, lo, mid);
        let (v2, e2) = panel(f, mid, hi);
        panels.push((lo, mid, v1, e1));
        panels.push((mid, hi, v2, e2));
    }
    total(&panels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_integrals() {
        assert!((integrate(&|x: f64| x.exp(), 0.0, 1.0, 1e-14) - (1f64.exp() - 1.0)).abs() < 1e-14);
        // A sharp peak: ∫_0^10 100/(1 + (100(x − 3))^2) dx = atan(700) + atan(300).
        let want = 700f64.atan() + 300f64.atan();
        let got = integrate(&|x: f64| 100.0 / (1.0 + (100.0 * (x - 3.0)).powi(2)), 0.0, 10.0, 1e-12);
        assert!((got - want).abs() < 1e-10, "{got} vs {want}");
    }
}
