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

/// A malformed byte string given to [`Graph::from_bytes`]: what was wrong and at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset where decoding failed.
    pub at: usize,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {}: {}", self.at, self.message)
    }
}

impl std::error::Error for DecodeError {}

/// The first bytes of [`Graph::to_bytes`], with the format's version.
const MAGIC: &[u8; 8] = b"GLIANIR1";
/// Nested graphs deeper than this are refused when decoding (NIR files nest one or two levels).
const MAX_DEPTH: usize = 64;

impl Graph {
    /// The graph as bytes (little-endian, exact: every `f64` bit pattern, NaN payloads included),
    /// the form in which the isolated reader ([`crate::read()`]) sends a graph from its child
    /// process to the caller. [`Graph::from_bytes`] inverts it.
    ///
    /// ```
    /// use glia_nir::{Field, Graph, Node};
    /// let mut g = Graph::default();
    /// g.nodes.insert("lif".into(), Node::new("LIF", [("tau", Field::vec(vec![0.02, f64::NAN]))]));
    /// g.edges.push(("input".into(), "lif".into()));
    /// let back = Graph::from_bytes(&g.to_bytes()).unwrap();
    /// assert_eq!(back.to_bytes(), g.to_bytes());
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        encode_graph(self, &mut out);
        out
    }

    /// A graph from the bytes of [`Graph::to_bytes`]. Every length is checked against the bytes
    /// that remain before anything is allocated, so truncated or corrupt input is an error,
    /// never a panic or a huge allocation.
    pub fn from_bytes(bytes: &[u8]) -> Result<Graph, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err(r.fail("not a serialised glia NIR graph (magic bytes differ)"));
        }
        let g = decode_graph(&mut r, 0)?;
        if r.at != bytes.len() {
            return Err(r.fail(format!("{} trailing bytes", bytes.len() - r.at)));
        }
        Ok(g)
    }
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn encode_graph(g: &Graph, out: &mut Vec<u8>) {
    put_u64(out, g.nodes.len() as u64);
    for (name, node) in &g.nodes {
        put_str(out, name);
        put_str(out, &node.kind);
        put_u64(out, node.fields.len() as u64);
        for (key, f) in &node.fields {
            put_str(out, key);
            out.push(u8::from(f.int));
            put_u64(out, f.data.ndim() as u64);
            for &d in f.data.shape() {
                put_u64(out, d as u64);
            }
            for v in f.data.iter() {
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
        }
        match &node.subgraph {
            Some(sub) => {
                out.push(1);
                encode_graph(sub, out);
            }
            None => out.push(0),
        }
    }
    put_u64(out, g.edges.len() as u64);
    for (a, b) in &g.edges {
        put_str(out, a);
        put_str(out, b);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, message: impl Into<String>) -> DecodeError {
        DecodeError {
            at: self.at,
            message: message.into(),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let left = self.bytes.len() - self.at;
        if n > left {
            return Err(self.fail(format!("needs {n} bytes, {left} left (truncated)")));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    /// A count of items of at least `min_bytes` bytes each, checked against what remains.
    fn count(&mut self, min_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_bytes as u64) > left {
            return Err(self.fail(format!("a count of {n} exceeds the {left} bytes left")));
        }
        Ok(n as usize)
    }
    fn str(&mut self) -> Result<String, DecodeError> {
        let n = self.count(1)?;
        let at = self.at;
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(str::to_string)
            .map_err(|e| DecodeError {
                at,
                message: format!("a string is not UTF-8 ({e})"),
            })
    }
}

fn decode_graph(r: &mut Reader<'_>, depth: usize) -> Result<Graph, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(r.fail(format!("graphs nested deeper than {MAX_DEPTH}")));
    }
    let mut g = Graph::default();
    // a node takes at least 8 + 8 + 8 + 1 bytes
    for _ in 0..r.count(25)? {
        let name = r.str()?;
        let kind = r.str()?;
        let mut fields = BTreeMap::new();
        for _ in 0..r.count(18)? {
            let key = r.str()?;
            let int = match r.u8()? {
                0 => false,
                1 => true,
                b => return Err(r.fail(format!("integer flag {b}, expected 0 or 1"))),
            };
            let ndim = r.count(8)?;
            let mut shape = Vec::with_capacity(ndim);
            for _ in 0..ndim {
                shape.push(r.u64()?);
            }
            let len = shape
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .filter(|&n| n.saturating_mul(8) <= (r.bytes.len() - r.at) as u64)
                .ok_or_else(|| r.fail(format!("shape {shape:?} exceeds the bytes left")))?;
            let raw = r.take(len as usize * 8)?;
            let values = raw
                .chunks_exact(8)
                .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().expect("8 bytes"))))
                .collect();
            let shape: Vec<usize> = shape.into_iter().map(|d| d as usize).collect();
            let data = ArrayD::from_shape_vec(shape, values)
                .map_err(|e| r.fail(format!("field {key:?}: {e}")))?;
            fields.insert(key, Field { data, int });
        }
        let subgraph = match r.u8()? {
            0 => None,
            1 => Some(Box::new(decode_graph(r, depth + 1)?)),
            b => return Err(r.fail(format!("subgraph flag {b}, expected 0 or 1"))),
        };
        if g.nodes.contains_key(&name) {
            return Err(r.fail(format!("node {name:?} appears twice")));
        }
        g.nodes.insert(
            name,
            Node {
                kind,
                fields,
                subgraph,
            },
        );
    }
    for _ in 0..r.count(16)? {
        let a = r.str()?;
        let b = r.str()?;
        g.edges.push((a, b));
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Graph {
        let mut sub = Graph::default();
        sub.nodes.insert(
            "inner".into(),
            Node::new(
                "Affine",
                [(
                    "weight",
                    Field::floats(&[2, 3], (0..6).map(f64::from).collect()),
                )],
            ),
        );
        sub.edges.push(("inner".into(), "inner".into()));
        let mut g = Graph::default();
        g.nodes.insert(
            "lif".into(),
            Node::new(
                "LIF",
                [
                    ("tau", Field::vec(vec![0.02, -0.0, f64::NAN, f64::INFINITY])),
                    ("shape", Field::ints(&[3, -7])),
                    ("scalar", Field::floats(&[], vec![1.5])),
                    ("empty", Field::floats(&[0, 4], vec![])),
                ],
            ),
        );
        let mut nested = Node::new("NIRGraph", []);
        nested.subgraph = Some(Box::new(sub));
        g.nodes.insert("sub_ü".into(), nested);
        g.edges.push(("lif".into(), "sub_ü".into()));
        g
    }

    #[test]
    fn round_trip_is_exact() {
        let g = sample();
        let b = g.to_bytes();
        let back = Graph::from_bytes(&b).unwrap();
        // bit-exact, NaN included (PartialEq would say NaN != NaN)
        assert_eq!(back.to_bytes(), b);
        let tau = &back.nodes["lif"].fields["tau"].data;
        assert_eq!(tau[[0]], 0.02);
        assert!(tau[[1]].is_sign_negative() && tau[[2]].is_nan() && tau[[3]] == f64::INFINITY);
        assert!(back.nodes["lif"].fields["shape"].int);
        assert_eq!(back.nodes["lif"].fields["scalar"].data.ndim(), 0);
        assert_eq!(back.nodes["lif"].fields["empty"].data.shape(), &[0, 4]);
        assert_eq!(
            back.nodes["sub_ü"].subgraph.as_ref().unwrap().nodes.len(),
            1
        );
        assert_eq!(back.edges, g.edges);
        assert_eq!(
            Graph::from_bytes(&Graph::default().to_bytes()).unwrap(),
            Graph::default()
        );
    }

    /// Every truncation and every single-byte corruption is an error or a graph, never a panic.
    #[test]
    fn corrupt_bytes_are_errors() {
        let b = sample().to_bytes();
        for n in 0..b.len() {
            assert!(Graph::from_bytes(&b[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..b.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut c = b.clone();
                c[i] ^= x;
                let _ = Graph::from_bytes(&c);
            }
        }
        let mut big = MAGIC.to_vec();
        put_u64(&mut big, u64::MAX);
        let e = Graph::from_bytes(&big).unwrap_err();
        assert!(e.message.contains("exceeds"), "{e}");
        // a shape whose element count is 0 but whose other axes overflow isize
        let mut wide = MAGIC.to_vec();
        put_u64(&mut wide, 1);
        put_str(&mut wide, "a");
        put_str(&mut wide, "LIF");
        put_u64(&mut wide, 1);
        put_str(&mut wide, "k");
        wide.push(0);
        put_u64(&mut wide, 2);
        put_u64(&mut wide, 0);
        put_u64(&mut wide, 1 << 63);
        wide.push(0);
        put_u64(&mut wide, 0);
        let e = Graph::from_bytes(&wide).unwrap_err();
        assert!(e.message.contains("field \"k\""), "{e}");
        let mut trailing = b.clone();
        trailing.push(0);
        assert!(
            Graph::from_bytes(&trailing)
                .unwrap_err()
                .message
                .contains("trailing")
        );
    }
}
