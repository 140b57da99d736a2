//! Unconstrained minimisation of a smooth function with an analytic gradient: BFGS with a strong-Wolfe line
//! search (Nocedal & Wright 2006, algorithms 6.1, 3.5 and 3.6) to reach the basin, then Newton steps on a
//! central-difference Hessian of the gradient to converge to machine precision. Convergence is judged on the
//! gradient and the Newton decrement, never on a stalled step.

use super::linalg::{cholesky, cholesky_solve};

/// A smooth function to minimise.
pub trait Objective: Sync {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// f(x), writing ∇f(x) into `gradient`; `None` where f is not finite.
    fn evaluate(&self, x: &[f64], gradient: &mut [f64]) -> Option<f64>;
    /// Whether [`Objective::evaluate_with_hessian`] is available (else Hessians are differences of gradients).
    fn has_hessian(&self) -> bool {
        false
    }
    /// f(x), ∇f(x) and the Hessian (row-major) in one evaluation; `None` where not available or not finite.
    fn evaluate_with_hessian(&self, x: &[f64], gradient: &mut [f64], hessian: &mut [f64]) -> Option<f64> {
        let _ = (x, gradient, hessian);
        None
    }
}

/// Stopping rules.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Converged when the largest gradient component is at most this...
    pub gradient_tolerance: f64,
    /// ...and the Newton decrement gᵀH⁻¹g at most this (the predicted remaining decrease, doubled)...
    pub decrement_tolerance: f64,
    /// ...or the largest component of the Newton step (the estimated distance to the optimum) at most this.
    pub step_tolerance: f64,
    /// BFGS iterations at most.
    pub max_iterations: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { gradient_tolerance: 1e-7, decrement_tolerance: 1e-18, step_tolerance: 1e-8, max_iterations: 200 }
    }
}

/// The result of a minimisation, with honest diagnostics.
#[derive(Clone, Debug)]
pub struct Minimum {
    /// The point reached.
    pub x: Vec<f64>,
    /// f there.
    pub value: f64,
    /// ∇f there.
    pub gradient: Vec<f64>,
    /// The central-difference Hessian there (row-major), when it could be formed.
    pub hessian: Option<Vec<f64>>,
    /// BFGS plus Newton iterations.
    pub iterations: usize,
    /// Evaluations of f and ∇f.
    pub evaluations: usize,
    /// Whether the gradient and decrement criteria were met.
    pub converged: bool,
    /// gᵀH⁻¹g at the end (NaN when H is not positive definite).
    pub newton_decrement: f64,
    /// What happened, in words.
    pub message: String,
}

struct Counter<'a> {
    objective: &'a dyn Objective,
    evaluations: usize,
}

impl Counter<'_> {
    /// The Hessian at `x` (where the gradient is `g`): analytic when the objective has it (one evaluation),
    /// else forward differences of the gradient (n evaluations).
    fn hessian(&mut self, x: &[f64], g: &[f64]) -> Option<Vec<f64>> {
        let n = x.len();
        if self.objective.has_hessian() {
            self.evaluations += 1;
            let (mut grad, mut h) = (vec![0.0; n], vec![0.0; n * n]);
            self.objective.evaluate_with_hessian(x, &mut grad, &mut h)?;
            return h.iter().all(|v| v.is_finite()).then_some(h);
        }
        self.evaluations += n;
        hessian_by_differences(self.objective, x, g)
    }

    /// f, ∇f and, when the objective has an analytic Hessian, the Hessian, at `x`.
    fn eval_newton(&mut self, x: &[f64]) -> Option<(f64, Vec<f64>, Option<Vec<f64>>)> {
        if !self.objective.has_hessian() {
            return self.eval(x).map(|(f, g)| (f, g, None));
        }
        self.evaluations += 1;
        let n = x.len();
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
        let f = self.objective.evaluate_with_hessian(x, &mut g, &mut h)?;
        (f.is_finite() && g.iter().chain(&h).all(|v| v.is_finite())).then_some((f, g, Some(h)))
    }

    fn eval(&mut self, x: &[f64]) -> Option<(f64, Vec<f64>)> {
        self.evaluations += 1;
        let mut g = vec![0.0; x.len()];
        let f = self.objective.evaluate(x, &mut g)?;
        (f.is_finite() && g.iter().all(|v| v.is_finite())).then_some((f, g))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn step(x: &[f64], d: &[f64], alpha: f64) -> Vec<f64> {
    x.iter().zip(d).map(|(xi, di)| xi + alpha * di).collect()
}

/// Minimises `objective` from `start`.
pub fn minimize(objective: &dyn Objective, start: &[f64], settings: &Settings) -> Minimum {
    let mut counter = Counter { objective, evaluations: 0 };
    let n = start.len();
    let Some((mut f, mut g)) = counter.eval(start) else {
        return failed(start, counter.evaluations, "the objective is not finite at the starting point");
    };
    let mut x = start.to_vec();
    let mut h_inv: Vec<f64> = (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect();
    let mut iterations = 0;
    let mut history = vec![f];
    // Phase 1: BFGS until the gradient is small enough for Newton steps to be safe, or f stops improving
    // (a parameter drifting to a boundary of a flat likelihood).
    while iterations < settings.max_iterations && max_abs(&g) > 1e-5 {
        if history.len() > 10 && history[history.len() - 11] - f <= 1e-12 * f.abs().max(1.0) {
            break;
        }
        iterations += 1;
        let mut d: Vec<f64> = (0..n).map(|i| -(0..n).map(|j| h_inv[i * n + j] * g[j]).sum::<f64>()).collect();
        if dot(&d, &g) >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            h_inv.iter_mut().enumerate().for_each(|(k, v)| *v = if k / n == k % n { 1.0 } else { 0.0 });
            d = g.iter().map(|v| -v).collect();
        }
        let Some((alpha, f_new, g_new)) = line_search(&mut counter, &x, f, &g, &d) else { break };
        let s: Vec<f64> = d.iter().map(|v| alpha * v).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if iterations == 1 && sy > 0.0 {
            let scale = sy / dot(&y, &y);
            h_inv.iter_mut().enumerate().for_each(|(k, v)| *v = if k / n == k % n { scale } else { 0.0 });
        }
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            bfgs_update(&mut h_inv, &s, &y, sy);
        }
        x = step(&x, &d, alpha);
        f = f_new;
        g = g_new;
        history.push(f);
    }
    newton_phase(&mut counter, x, f, g, iterations, settings, None)
}

/// The inverse-Hessian BFGS update (Nocedal & Wright eq. 6.17).
fn bfgs_update(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n).map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum()).collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] += rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
        }
    }
}

/// A trial point of the line search: step length, f, directional derivative and gradient (infinite f where the
/// objective is not finite).
#[derive(Clone)]
struct Trial {
    alpha: f64,
    f: f64,
    dg: f64,
    g: Option<Vec<f64>>,
}

fn trial(counter: &mut Counter, x: &[f64], d: &[f64], alpha: f64) -> Trial {
    match counter.eval(&step(x, d, alpha)) {
        Some((f, g)) => Trial { alpha, f, dg: dot(&g, d), g: Some(g) },
        None => Trial { alpha, f: f64::INFINITY, dg: f64::NAN, g: None },
    }
}

/// A step length satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9), Nocedal & Wright algorithms 3.5
/// (bracketing) and 3.6 (zoom, with safeguarded quadratic interpolation). Non-finite trial points count as too
/// far. Returns the step, f and the gradient there.
fn line_search(counter: &mut Counter, x: &[f64], f0: f64, g0: &[f64], d: &[f64]) -> Option<(f64, f64, Vec<f64>)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let dg0 = dot(g0, d);
    let sufficient = |t: &Trial| t.f <= f0 + C1 * t.alpha * dg0;
    let curvature = |t: &Trial| t.dg.abs() <= -C2 * dg0;
    let mut previous = Trial { alpha: 0.0, f: f0, dg: dg0, g: Some(g0.to_vec()) };
    let mut alpha = 1.0;
    let (mut lo, mut hi) = loop {
        let t = trial(counter, x, d, alpha);
        if !sufficient(&t) || (previous.alpha > 0.0 && t.f >= previous.f) {
            break (previous, t);
        }
        if curvature(&t) {
            return Some((t.alpha, t.f, t.g.expect("finite trial")));
        }
        if t.dg >= 0.0 {
            break (t, previous);
        }
        if alpha > 1e10 {
            return Some((t.alpha, t.f, t.g.expect("finite trial")));
        }
        previous = t;
        alpha *= 2.0;
    };
    for _ in 0..60 {
        let width = hi.alpha - lo.alpha;
        if width.abs() <= 1e-15 * lo.alpha.abs().max(1.0) {
            break;
        }
        // Minimiser of the quadratic through (lo.f, lo.dg) and hi.f, kept inside the middle of the bracket.
        let quadratic = lo.alpha - lo.dg * width * width / (2.0 * (hi.f - lo.f - lo.dg * width));
        let fraction = (quadratic - lo.alpha) / width;
        let alpha =
            if fraction.is_finite() && (0.1..=0.9).contains(&fraction) { quadratic } else { lo.alpha + 0.5 * width };
        let t = trial(counter, x, d, alpha);
        if !sufficient(&t) || t.f >= lo.f {
            hi = t;
        } else {
            if curvature(&t) {
                return Some((t.alpha, t.f, t.g.expect("finite trial")));
            }
            if t.dg * (hi.alpha - lo.alpha) >= 0.0 {
                hi = lo;
            }
            lo = t;
        }
    }
    // No point meets the curvature condition within precision: accept the best sufficient decrease, if any.
    (lo.alpha > 0.0).then(|| (lo.alpha, lo.f, lo.g.expect("finite trial")))
}

/// The Hessian by forward differences of the analytic gradient (whose value `g` at `x` is known), symmetrised:
/// n gradient evaluations, relative accuracy about 1e-6 with steps of 1e-6.
pub fn hessian_by_differences(objective: &dyn Objective, x: &[f64], g: &[f64]) -> Option<Vec<f64>> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    let mut shifted = vec![0.0; n];
    for j in 0..n {
        let step_size = 1e-6 * x[j].abs().max(1.0);
        let mut xp = x.to_vec();
        xp[j] += step_size;
        let step_size = xp[j] - x[j];
        objective.evaluate(&xp, &mut shifted)?;
        for i in 0..n {
            h[i * n + j] = (shifted[i] - g[i]) / step_size;
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (h[i * n + j] + h[j * n + i]);
            h[i * n + j] = m;
            h[j * n + i] = m;
        }
    }
    h.iter().all(|v| v.is_finite()).then_some(h)
}

/// Newton's method from `start` with `hessian` as the first curvature (for instance from a fit on a subsample,
/// on the same mean scale); falls back to [`minimize`] when the Newton steps do not converge.
pub fn minimize_near(objective: &dyn Objective, start: &[f64], hessian: Vec<f64>, settings: &Settings) -> Minimum {
    let mut counter = Counter { objective, evaluations: 0 };
    let Some((f, g)) = counter.eval(start) else {
        return failed(start, counter.evaluations, "the objective is not finite at the starting point");
    };
    let result = newton_phase(&mut counter, start.to_vec(), f, g, 0, settings, Some(hessian));
    if result.converged {
        return result;
    }
    let mut retry = minimize(objective, start, settings);
    retry.evaluations += result.evaluations;
    retry
}

/// Newton steps with a backtracking line search. The Hessian is recomputed when the last step was damped or
/// the gradient did not fall fourfold; at the end it is recomputed at the final point, for standard errors.
fn newton_phase(
    counter: &mut Counter,
    mut x: Vec<f64>,
    mut f: f64,
    mut g: Vec<f64>,
    mut iterations: usize,
    settings: &Settings,
    mut hessian: Option<Vec<f64>>,
) -> Minimum {
    let n = x.len();
    let mut decrement = f64::NAN;
    // `fresh`: the Hessian in hand was computed at the current point; `refresh`: the last step asks for a new one.
    let (mut fresh, mut refresh) = (false, hessian.is_none());
    let mut message = String::new();
    for _ in 0..50 {
        if refresh && !fresh {
            let Some(h) = counter.hessian(&x, &g) else {
                message = "the Hessian is not finite near the optimum".into();
                break;
            };
            hessian = Some(h);
            fresh = true;
        }
        let h = hessian.as_ref().expect("set above");
        let Some(l) = cholesky(h, n) else {
            decrement = f64::NAN;
            message = "the Hessian is not positive definite: no isolated optimum (a flat or boundary direction)".into();
            break;
        };
        let d: Vec<f64> = cholesky_solve(&l, n, &g).iter().map(|v| -v).collect();
        decrement = -dot(&g, &d);
        if max_abs(&g) <= settings.gradient_tolerance
            && (decrement <= settings.decrement_tolerance || max_abs(&d) <= settings.step_tolerance)
        {
            message = "converged: gradient and Newton step (or decrement) below tolerance".into();
            break;
        }
        iterations += 1;
        let g_before = max_abs(&g);
        // A decrease below the resolution of f cannot be verified by a line search: trust the quadratic model.
        let trusted = decrement <= 1e-14 * f.abs().max(1.0);
        let mut alpha = 1.0;
        let mut moved = false;
        let mut new_hessian = None;
        for _ in 0..40 {
            if let Some((f_new, g_new, h_new)) = counter.eval_newton(&step(&x, &d, alpha)) {
                let decreased = f_new <= f + 1e-4 * alpha * dot(&g, &d);
                if trusted || decreased || (f_new <= f && max_abs(&g_new) < max_abs(&g)) {
                    x = step(&x, &d, alpha);
                    f = f_new;
                    g = g_new;
                    new_hessian = h_new;
                    moved = true;
                    break;
                }
            }
            alpha *= 0.5;
        }
        if !moved {
            message = if max_abs(&g) <= settings.gradient_tolerance {
                "converged to the precision of the objective (no further decrease possible)".into()
            } else {
                "stalled: no step decreases the objective, the gradient is not small".into()
            };
            break;
        }
        // An analytic Hessian comes with the step; a differenced one is kept while full steps cut the gradient
        // fast, and refreshed otherwise.
        fresh = new_hessian.is_some();
        if fresh {
            hessian = new_hessian;
        }
        refresh = alpha < 1.0 || max_abs(&g) > 0.25 * g_before;
    }
    let converged = message.starts_with("converged");
    if message.is_empty() {
        message = "the Newton phase did not converge within 50 steps".into();
    }
    // The reported Hessian (standard errors) is taken at the final point.
    if converged
        && !fresh
        && let Some(h) = counter.hessian(&x, &g)
    {
        hessian = Some(h);
    }
    Minimum {
        x,
        value: f,
        gradient: g,
        hessian,
        iterations,
        evaluations: counter.evaluations,
        converged,
        newton_decrement: decrement,
        message,
    }
}

fn failed(x: &[f64], evaluations: usize, message: &str) -> Minimum {
    Minimum {
        x: x.to_vec(),
        value: f64::NAN,
        gradient: vec![f64::NAN; x.len()],
        hessian: None,
        iterations: 0,
        evaluations,
        converged: false,
        newton_decrement: f64::NAN,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's function: a curved valley, minimum 0 at (1, 1).
    struct Rosenbrock;

    impl Objective for Rosenbrock {
        fn dim(&self) -> usize {
            2
        }
        fn evaluate(&self, x: &[f64], g: &mut [f64]) -> Option<f64> {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            Some((1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2))
        }
    }

    #[test]
    fn rosenbrock_to_machine_precision() {
        let m = minimize(&Rosenbrock, &[-1.2, 1.0], &Settings::default());
        assert!(m.converged, "{}", m.message);
        assert!((m.x[0] - 1.0).abs() < 1e-9 && (m.x[1] - 1.0).abs() < 1e-9, "{:?}", m.x);
    }

    /// A function undefined (infinite) beyond x = 2: the line search must back off.
    struct Wall;

    impl Objective for Wall {
        fn dim(&self) -> usize {
            1
        }
        fn evaluate(&self, x: &[f64], g: &mut [f64]) -> Option<f64> {
            if x[0] >= 2.0 {
                return None;
            }
            g[0] = 2.0 * (x[0] - 1.9) + 1e-3 / (2.0 - x[0]);
            Some((x[0] - 1.9).powi(2) - 1e-3 * (2.0 - x[0]).ln())
        }
    }

    #[test]
    fn non_finite_regions_are_avoided() {
        let m = minimize(&Wall, &[0.0], &Settings::default());
        assert!(m.converged, "{}", m.message);
        assert!(m.x[0] < 2.0);
        let mut g = [0.0];
        Wall.evaluate(&m.x, &mut g);
        assert!(g[0].abs() < 1e-7);
    }
}
