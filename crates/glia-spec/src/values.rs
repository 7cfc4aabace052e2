//! Value specifications: how a per-neuron or per-synapse quantity is given.
//!
//! In a model file a quantity such as an initial membrane potential, a weight or a Poisson rate
//! can be written as
//!
//! | form | example | meaning |
//! |---|---|---|
//! | number | `weight = 1.62` | the same for every element |
//! | array | `rate = [5.0, 10.0, 20.0]` | one value per element (length must match) |
//! | uniform | `{ dist = "uniform", low = -60, high = -50 }` | U[low, high) |
//! | normal | `{ dist = "normal", mean = 1.5, std = 0.75, min = 0.1 }` | N(mean, std²) |
//! | lognormal | `{ dist = "lognormal", mu = 0.0, sigma = 0.5 }` | exp(N(mu, sigma²)) |
//! | file | `{ file = "v0.npy" }` | one value per element from a 1-D `.npy` |
//!
//! Distributions accept `min` and `max`: draws are **clipped** (clamped) to `[min, max]`.
//! Draws come from counter-based streams keyed by element index, so they do not depend on the
//! thread count or on the order of construction.

use crate::{ModelError, Result};
use glia_core::CounterRng;
use glia_io::ArrayData;
use std::path::Path;

/// A distribution with optional clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct Dist {
    /// The distribution.
    pub kind: DistKind,
    /// Lower clip.
    pub min: Option<f64>,
    /// Upper clip.
    pub max: Option<f64>,
}

/// Supported distributions.
#[derive(Clone, Debug, PartialEq)]
pub enum DistKind {
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ 0).
        std: f64,
    },
    /// Log-normal: `exp(N(mu, sigma²))`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm (≥ 0).
        sigma: f64,
    },
}

/// A resolved value specification.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// The same value everywhere.
    Const(f64),
    /// One value per element.
    Array(Vec<f64>),
    /// Drawn per element.
    Dist(Dist),
}

impl Dist {
    /// One draw from `rng`, clipped.
    #[inline]
    pub fn sample(&self, rng: &mut CounterRng) -> f64 {
        let x = match self.kind {
            DistKind::Uniform { low, high } => low + (high - low) * rng.uniform(),
            DistKind::Normal { mean, std } => mean + std * rng.normal(),
            DistKind::LogNormal { mu, sigma } => (mu + sigma * rng.normal()).exp(),
        };
        let x = self.min.map_or(x, |m| x.max(m));
        self.max.map_or(x, |m| x.min(m))
    }

    /// The smallest value a draw can take (clip included).
    pub fn lower_bound(&self) -> f64 {
        let natural = match self.kind {
            DistKind::Uniform { low, .. } => low,
            DistKind::Normal { std, mean } => {
                if std == 0.0 {
                    mean
                } else {
                    f64::NEG_INFINITY
                }
            }
            DistKind::LogNormal { .. } => 0.0,
        };
        self.min.map_or(natural, |m| natural.max(m))
    }

    /// The largest value a draw can take (clip included).
    pub fn upper_bound(&self) -> f64 {
        let natural = match self.kind {
            DistKind::Uniform { high, .. } => high,
            DistKind::Normal { std, mean } => {
                if std == 0.0 {
                    mean
                } else {
                    f64::INFINITY
                }
            }
            DistKind::LogNormal { .. } => f64::INFINITY,
        };
        self.max.map_or(natural, |m| natural.min(m))
    }
}

impl Values {
    /// The smallest value any element can take.
    pub fn lower_bound(&self) -> f64 {
        match self {
            Values::Const(c) => *c,
            Values::Array(a) => a.iter().copied().fold(f64::INFINITY, f64::min),
            Values::Dist(d) => d.lower_bound(),
        }
    }

    /// The largest value any element can take.
    pub fn upper_bound(&self) -> f64 {
        match self {
            Values::Const(c) => *c,
            Values::Array(a) => a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Values::Dist(d) => d.upper_bound(),
        }
    }
}

fn num(v: &toml::Value, path: &str) -> Result<f64> {
    let x = match v {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        other => {
            return Err(ModelError::invalid(
                path,
                format!("must be a number, got {}", show(other)),
            ));
        }
    };
    if !x.is_finite() {
        return Err(ModelError::invalid(
            path,
            format!("must be finite, got {x}"),
        ));
    }
    Ok(x)
}

/// A short rendering of a TOML value for messages.
pub fn show(v: &toml::Value) -> String {
    let s = match v {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if s.len() > 60 {
        format!("{}…", &s[..s.floor_char_boundary(57)])
    } else {
        s
    }
}

/// Parse a value specification at `path`. `len` is the number of elements (for arrays and
/// files); relative files are resolved against `base_dir`.
pub fn parse(v: &toml::Value, path: &str, len: usize, base_dir: &Path) -> Result<Values> {
    match v {
        toml::Value::Float(_) | toml::Value::Integer(_) => Ok(Values::Const(num(v, path)?)),
        toml::Value::Array(a) => {
            let xs = a
                .iter()
                .enumerate()
                .map(|(i, x)| num(x, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            check_len(xs.len(), len, path)?;
            Ok(Values::Array(xs))
        }
        toml::Value::Table(t) => {
            if let Some(f) = t.get("file") {
                if t.len() > 1 {
                    let extra: Vec<&str> = t
                        .keys()
                        .filter(|k| *k != "file")
                        .map(String::as_str)
                        .collect();
                    return Err(ModelError::invalid(
                        path,
                        format!(
                            "a file value takes only `file`, got also {}",
                            extra.join(", ")
                        ),
                    ));
                }
                let fpath = format!("{path}.file");
                let name = f.as_str().ok_or_else(|| {
                    ModelError::invalid(&fpath, format!("must be a path string, got {}", show(f)))
                })?;
                let xs = load_floats(&base_dir.join(name), None, &fpath)?;
                check_len(xs.len(), len, &fpath)?;
                return Ok(Values::Array(xs));
            }
            parse_dist(t, path).map(Values::Dist)
        }
        other => Err(ModelError::invalid(
            path,
            format!(
                "must be a number, an array, a distribution {{ dist = ... }} or {{ file = ... }}, got {}",
                show(other)
            ),
        )),
    }
}

fn check_len(got: usize, want: usize, path: &str) -> Result<()> {
    if got != want {
        return Err(ModelError::invalid(
            path,
            format!("needs {want} values (one per element), got {got}"),
        ));
    }
    Ok(())
}

fn parse_dist(t: &toml::Table, path: &str) -> Result<Dist> {
    let dist = t.get("dist").ok_or_else(|| {
        ModelError::invalid(
            path,
            "a table value needs `dist = \"uniform\" | \"normal\" | \"lognormal\"` or `file = ...`",
        )
    })?;
    let name = dist.as_str().unwrap_or_default();
    let allowed: &[&str] = match name {
        "uniform" => &["dist", "low", "high", "min", "max"],
        "normal" => &["dist", "mean", "std", "min", "max"],
        "lognormal" => &["dist", "mu", "sigma", "min", "max"],
        _ => {
            return Err(ModelError::invalid(
                format!("{path}.dist"),
                format!(
                    "unknown distribution {}; expected \"uniform\", \"normal\" or \"lognormal\"",
                    show(dist)
                ),
            ));
        }
    };
    if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ModelError::invalid(
            format!("{path}.{k}"),
            format!(
                "unknown field for a {name} distribution; expected one of {}",
                allowed[1..].join(", ")
            ),
        ));
    }
    let get = |k: &str| -> Result<f64> {
        let p = format!("{path}.{k}");
        num(
            t.get(k).ok_or_else(|| {
                ModelError::invalid(&p, format!("missing (required by a {name} distribution)"))
            })?,
            &p,
        )
    };
    let opt = |k: &str| -> Result<Option<f64>> {
        t.get(k).map(|v| num(v, &format!("{path}.{k}"))).transpose()
    };
    let kind = match name {
        "uniform" => {
            let (low, high) = (get("low")?, get("high")?);
            if low > high {
                return Err(ModelError::invalid(
                    format!("{path}.high"),
                    format!("must be ≥ low ({low}), got {high}"),
                ));
            }
            DistKind::Uniform { low, high }
        }
        "normal" => {
            let std = get("std")?;
            if std < 0.0 {
                return Err(ModelError::invalid(
                    format!("{path}.std"),
                    format!("must be ≥ 0, got {std}"),
                ));
            }
            DistKind::Normal {
                mean: get("mean")?,
                std,
            }
        }
        _ => {
            let sigma = get("sigma")?;
            if sigma < 0.0 {
                return Err(ModelError::invalid(
                    format!("{path}.sigma"),
                    format!("must be ≥ 0, got {sigma}"),
                ));
            }
            DistKind::LogNormal {
                mu: get("mu")?,
                sigma,
            }
        }
    };
    let (min, max) = (opt("min")?, opt("max")?);
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err(ModelError::invalid(
            format!("{path}.max"),
            format!("must be ≥ min ({a}), got {b}"),
        ));
    }
    Ok(Dist { kind, min, max })
}

/// Load a 1-D float (or integer) array from a `.npy` file or an array of an `.npz` file.
pub fn load_floats(file: &Path, array: Option<&str>, path: &str) -> Result<Vec<f64>> {
    let (shape, data) = load_any(file, array, path)?;
    check_1d(&shape, file, array, path)?;
    let xs = match data {
        ArrayData::Float(v) => v,
        ArrayData::Int(v) => v.into_iter().map(|i| i as f64).collect(),
    };
    if let Some((i, x)) = xs.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(ModelError::invalid(
            path,
            format!(
                "{}{}: element {i} is {x}; values must be finite",
                file.display(),
                array.map(|a| format!(" (array '{a}')")).unwrap_or_default()
            ),
        ));
    }
    Ok(xs)
}

/// Load a 1-D integer array (indices); float arrays are rejected.
pub fn load_indices(file: &Path, array: Option<&str>, path: &str) -> Result<Vec<i64>> {
    let (shape, data) = load_any(file, array, path)?;
    check_1d(&shape, file, array, path)?;
    match data {
        ArrayData::Int(v) => Ok(v),
        ArrayData::Float(_) => Err(ModelError::invalid(
            path,
            format!(
                "{}{}: indices must have an integer dtype, got a float array",
                file.display(),
                array.map(|a| format!(" (array '{a}')")).unwrap_or_default()
            ),
        )),
    }
}

fn check_1d(shape: &[usize], file: &Path, array: Option<&str>, path: &str) -> Result<()> {
    if shape.len() != 1 {
        return Err(ModelError::invalid(
            path,
            format!(
                "{}{}: expected a 1-D array, got shape {shape:?}",
                file.display(),
                array.map(|a| format!(" (array '{a}')")).unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

fn load_any(file: &Path, array: Option<&str>, path: &str) -> Result<glia_io::Shaped> {
    let res = match array {
        None => glia_io::read_array(file),
        Some(name) => glia_io::read_npz_array(file, name).and_then(|o| {
            o.ok_or_else(|| glia_io::IoError::Format {
                path: file.to_path_buf(),
                array: Some(name.to_string()),
                message: "no such array in the file".into(),
            })
        }),
    };
    res.map_err(|e| ModelError::invalid(path, e.to_string()))
}
