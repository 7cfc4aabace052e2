//! `\[parameters\]` and `"= expression"` strings.
//!
//! A model file may define named numbers in a `\[parameters\]` table. Any string value that
//! starts with `=` is an arithmetic expression over those names, evaluated in floating point
//! (`+ - * / % ^`, parentheses, `floor`, `ceil`, `round`, `min`, `max`, `math::sqrt`,
//! `math::exp`, `math::ln`, ...; see the `evalexpr` crate). A whole-number result becomes a TOML
//! integer, so it can be used for sizes and counts. Parameters given on the command line
//! (`--param order=5000`) replace the file's values before evaluation; naming a parameter the
//! file does not define is an error.

use crate::{ModelError, Result};
use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Value};
use toml::Value as T;

/// Expand `\[parameters\]` and every `"= ..."` string in `table`.
pub fn expand(mut table: toml::Table, overrides: &[(String, f64)]) -> Result<toml::Table> {
    let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
    let mut params = match table.remove("parameters") {
        None => toml::Table::new(),
        Some(T::Table(t)) => t,
        Some(other) => {
            return Err(ModelError::invalid(
                "parameters",
                format!("must be a table of numbers, got {}", other.type_str()),
            ));
        }
    };
    for (name, value) in overrides {
        if !params.contains_key(name) {
            let known: Vec<&str> = params.keys().map(String::as_str).collect();
            return Err(ModelError::invalid(
                format!("parameters.{name}"),
                format!(
                    "no such parameter in the model file (it defines: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        params.insert(name.clone(), T::Float(*value));
    }
    // Parameters may refer to parameters defined before them (in file order is not kept by TOML
    // tables, so evaluate repeatedly until nothing changes).
    let mut pending: Vec<(String, T)> = params.clone().into_iter().collect();
    let mut resolved = toml::Table::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for (name, v) in pending {
            let path = format!("parameters.{name}");
            let number = match &v {
                T::Integer(i) => Some(*i as f64),
                T::Float(f) => Some(*f),
                T::String(s) if s.trim_start().starts_with('=') => eval(s, &ctx, &path).ok(),
                other => {
                    return Err(ModelError::invalid(
                        path,
                        format!(
                            "must be a number or an \"= expression\", got {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            match number {
                Some(x) => {
                    ctx.set_value(name.clone(), Value::Float(x))
                        .map_err(|e| ModelError::invalid(path.clone(), e.to_string()))?;
                    resolved.insert(name, T::Float(x));
                }
                None => next.push((name, v)),
            }
        }
        if next.len() == before {
            // Report the first one with its real error.
            let (name, v) = &next[0];
            let s = v.as_str().unwrap_or_default();
            eval(s, &ctx, &format!("parameters.{name}"))?;
        }
        pending = next;
    }
    let mut out = toml::Table::new();
    for (k, v) in table {
        let v = expand_value(v, &ctx, &k)?;
        out.insert(k, v);
    }
    out.insert("parameters".into(), T::Table(resolved));
    Ok(out)
}

fn expand_value(v: T, ctx: &HashMapContext<DefaultNumericTypes>, path: &str) -> Result<T> {
    Ok(match v {
        T::String(s) if s.trim_start().starts_with('=') => {
            let x = eval(&s, ctx, path)?;
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                T::Integer(x as i64)
            } else {
                T::Float(x)
            }
        }
        T::Table(t) => {
            let mut out = toml::Table::new();
            for (k, v) in t {
                let p = format!("{path}.{k}");
                out.insert(k, expand_value(v, ctx, &p)?);
            }
            T::Table(out)
        }
        T::Array(a) => T::Array(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| expand_value(v, ctx, &format!("{path}[{i}]")))
                .collect::<Result<_>>()?,
        ),
        other => other,
    })
}

fn eval(s: &str, ctx: &HashMapContext<DefaultNumericTypes>, path: &str) -> Result<f64> {
    let src = s.trim_start().trim_start_matches('=');
    let v = evalexpr::eval_with_context(src, ctx)
        .map_err(|e| ModelError::invalid(path, format!("cannot evaluate \"{}\": {e}", s.trim())))?;
    let x = match v {
        Value::Float(f) => f,
        Value::Int(i) => i as f64,
        other => {
            return Err(ModelError::invalid(
                path,
                format!("expression \"{}\" gives {other}, not a number", s.trim()),
            ));
        }
    };
    if !x.is_finite() {
        return Err(ModelError::invalid(
            path,
            format!("expression \"{}\" gives {x}", s.trim()),
        ));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_overrides() {
        let t: toml::Table = toml::from_str(
            "[parameters]\norder = 10\nn = \"= 4 * order\"\n[x]\nsize = \"= n + order\"\nf = \"= order / 4\"\nname = \"exc\"",
        )
        .unwrap();
        let e = expand(t.clone(), &[]).unwrap();
        assert_eq!(e["x"]["size"].as_integer(), Some(50));
        assert_eq!(e["x"]["f"].as_float(), Some(2.5));
        assert_eq!(e["x"]["name"].as_str(), Some("exc"));
        let e = expand(t.clone(), &[("order".into(), 100.0)]).unwrap();
        assert_eq!(e["x"]["size"].as_integer(), Some(500));
        let err = expand(t, &[("ordr".into(), 1.0)]).unwrap_err().to_string();
        assert!(
            err.contains("parameters.ordr") && err.contains("order"),
            "{err}"
        );
        let t: toml::Table = toml::from_str("[x]\nsize = \"= nope * 2\"").unwrap();
        let err = expand(t, &[]).unwrap_err().to_string();
        assert!(err.starts_with("x.size:"), "{err}");
    }
}
