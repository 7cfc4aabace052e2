//! Task generators.

use glia_reservoir::tasks::{MackeyGlass, narma10};

/// Mackey–Glass (τ = 17) by RK4: the series with h = 0.1 agrees with h = 0.01 (a reference
/// with 10× smaller step; RK4 with interpolated delay converges at second order or better) to
/// 5e-4 over the first 200 time units (measured 1.35e-4), and to 1e-2 up to 300 (chaos amplifies differences,
/// Lyapunov time ~ 150); it stays in the attractor's range [0.2, 1.4].
#[test]
fn mackey_glass_converges() {
    let a = MackeyGlass::default().generate(300).unwrap();
    let b = MackeyGlass {
        h: 0.01,
        ..Default::default()
    }
    .generate(300)
    .unwrap();
    let d200 = (0..200).map(|i| (a[i] - b[i]).abs()).fold(0.0, f64::max);
    let d300 = (0..300).map(|i| (a[i] - b[i]).abs()).fold(0.0, f64::max);
    assert!(d200 < 5e-4, "max difference over 200 time units {d200}");
    assert!(d300 < 1e-2, "max difference over 300 time units {d300}");
    assert!(a.iter().all(|&x| (0.2..1.4).contains(&x)));
    let e = MackeyGlass {
        h: 0.3,
        ..Default::default()
    }
    .generate(10)
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("task.h:"), "{e}");
}

/// NARMA-10 against the recursion evaluated by hand for a constant input u = 0.5 (then
/// y(t+1) = 0.3 y + 0.05 y Σ + 0.375 + 0.1 from t = 9 on): first nonzero value 0.475, second
/// 0.3·0.475 + 0.05·0.475·0.475 + 0.475.
#[test]
fn narma10_recursion() {
    let y = narma10(&[0.5; 12]);
    assert_eq!(&y[..9], &[0.0; 9]);
    assert!((y[9] - 0.475).abs() < 1e-15);
    let y11 = 0.3 * 0.475 + 0.05 * 0.475 * 0.475 + 0.475;
    assert!((y[10] - y11).abs() < 1e-15, "{} vs {y11}", y[10]);
}
