//! A NIR graph in memory: named nodes, each a type name and numeric fields, and directed edges.
//!
//! Fields are kept as they are stored (arrays of any rank, as f64), so that reading and writing
//! are generic and each conversion ([`crate::import()`], [`crate::export()`]) checks what it uses.

use ndarray::ArrayD;
use std::collections::BTreeMap;

/// One numeric field of a node.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The values (scalars have rank 0).
    pub data: ArrayD<f64>,
    /// Stored as integers in the file (e.g. `Input.shape`, `Conv2d.stride`).
    pub int: bool,
}

impl Field {
    /// A float array of any shape.
    pub fn floats(shape: &[usize], values: Vec<f64>) -> Self {
        Self {
            data: ArrayD::from_shape_vec(shape.to_vec(), values).expect("shape matches length"),
            int: false,
        }
    }

    /// A 1-D float array.
    pub fn vec(values: Vec<f64>) -> Self {
        let n = values.len();
        Self::floats(&[n], values)
    }

    /// A 1-D integer array.
    pub fn ints(values: &[i64]) -> Self {
        Self {
            data: ArrayD::from_shape_vec(
                vec![values.len()],
                values.iter().map(|&v| v as f64).collect(),
            )
            .expect("shape matches length"),
            int: true,
        }
    }
}

/// A node: its NIR type name (`"LIF"`, `"Affine"`, …) and its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// NIR type name.
    pub kind: String,
    /// Numeric fields by name (`tau`, `weight`, …); metadata is not kept.
    pub fields: BTreeMap<String, Field>,
    /// A nested graph (type `NIRGraph`), if this node is one.
    pub subgraph: Option<Box<Graph>>,
}

impl Node {
    /// A node of type `kind` with `fields`.
    pub fn new(kind: &str, fields: impl IntoIterator<Item = (&'static str, Field)>) -> Self {
        Self {
            kind: kind.into(),
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            subgraph: None,
        }
    }
}

/// A NIR graph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// Nodes by name.
    pub nodes: BTreeMap<String, Node>,
    /// Directed edges `(source, target)`, by node name.
    pub edges: Vec<(String, String)>,
}
