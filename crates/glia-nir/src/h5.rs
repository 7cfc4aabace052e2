//! NIR's HDF5 layout (as the Python `nir` package writes it, version 1.0):
//!
//! ```text
//! /version            string, e.g. "1.0.8"
//! /node/type          "NIRGraph"
//! /node/edges         string array (E, 2): source, target
//! /node/nodes/NAME/   one group per node: `type` (string) and one dataset per field
//!                     (`metadata` groups are ignored; a nested graph has its own `nodes`/`edges`)
//! ```
//! Strings are variable-length UTF-8; numbers any HDF5 integer or float type (read as f64).

use crate::graph::{Field, Graph, Node};
use crate::{NirError, Result};
use hdf5::types::{TypeDescriptor, VarLenAscii, VarLenUnicode};
use hdf5_metno as hdf5;
use ndarray::{Array2, ArrayD};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// The NIR file-format version glia writes.
pub const VERSION: &str = "1.0.8";

fn err(path: &Path, what: impl std::fmt::Display) -> NirError {
    NirError::File {
        path: path.to_path_buf(),
        message: what.to_string(),
    }
}

fn last(name: &str) -> String {
    name.rsplit('/').next().unwrap_or(name).to_string()
}

/// The bytes of an HDF5 string as a Rust string. hdf5-metno's `as_str` does not check that
/// they are UTF-8: a corrupt file put invalid UTF-8 inside a `String`, which panicked when
/// formatted (found by the `nir` fuzz target, `fuzz/regressions/nir/`).
fn utf8(b: &[u8]) -> hdf5::Result<String> {
    std::str::from_utf8(b)
        .map(str::to_string)
        .map_err(|e| hdf5::Error::from(format!("a string is not valid UTF-8 ({e})")))
}

fn read_string(ds: &hdf5::Dataset) -> hdf5::Result<String> {
    match ds.read_scalar::<VarLenUnicode>() {
        Ok(s) => utf8(s.as_bytes()),
        Err(_) => utf8(ds.read_scalar::<VarLenAscii>()?.as_bytes()),
    }
}

fn read_strings(ds: &hdf5::Dataset) -> hdf5::Result<ArrayD<String>> {
    let mut bad = None;
    let mut check = |b: &[u8]| {
        utf8(b).unwrap_or_else(|e| {
            bad.get_or_insert(e);
            String::new()
        })
    };
    let a = match ds.read_dyn::<VarLenUnicode>() {
        Ok(a) => a.mapv(|s| check(s.as_bytes())),
        Err(_) => ds.read_dyn::<VarLenAscii>()?.mapv(|s| check(s.as_bytes())),
    };
    match bad {
        Some(e) => Err(e),
        None => Ok(a),
    }
}

fn read_graph(path: &Path, g: &hdf5::Group, at: &str) -> Result<Graph> {
    let e = |m: String| err(path, format!("{at}: {m}"));
    let mut graph = Graph::default();
    if g.link_exists("edges") {
        let ds = g.dataset("edges").map_err(|x| e(format!("edges: {x}")))?;
        let a = read_strings(&ds).map_err(|x| e(format!("edges: {x}")))?;
        if !a.is_empty() {
            if a.ndim() != 2 || a.shape()[1] != 2 {
                return Err(e(format!(
                    "edges: expected shape (E, 2), got {:?}",
                    a.shape()
                )));
            }
            for row in a.rows() {
                graph.edges.push((row[0].clone(), row[1].clone()));
            }
        }
    }
    let nodes = g.group("nodes").map_err(|x| e(format!("nodes: {x}")))?;
    for ng in nodes.groups().map_err(|x| e(x.to_string()))? {
        let name = last(&ng.name());
        let here = format!("{at}/nodes/{name}");
        let ne = |m: String| err(path, format!("{here}: {m}"));
        let kind = read_string(&ng.dataset("type").map_err(|x| ne(format!("type: {x}")))?)
            .map_err(|x| ne(format!("type: {x}")))?;
        let mut fields = BTreeMap::new();
        for ds in ng.datasets().map_err(|x| ne(x.to_string()))? {
            let key = last(&ds.name());
            if key == "type" || key == "edges" {
                continue;
            }
            let td = ds
                .dtype()
                .and_then(|t| t.to_descriptor())
                .map_err(|x| ne(format!("{key}: {x}")))?;
            let int = match td {
                TypeDescriptor::Integer(_)
                | TypeDescriptor::Unsigned(_)
                | TypeDescriptor::Boolean => true,
                TypeDescriptor::Float(_) => false,
                // strings and other types carry no numbers glia uses
                _ => continue,
            };
            // A corrupt dataspace can claim far more elements than the file stores; reading it
            // would try to allocate them all (an abort, not an error). NIR writers store
            // parameters uncompressed or lightly compressed, so more than 1024 elements per
            // stored byte (beyond a 1 Mi-element floor) is refused, naming the field (found by
            // the `nir` fuzz target, fuzz/regressions/nir/).
            let (n, stored) = (ds.size() as u128, u128::from(ds.storage_size()));
            if n > (stored * 1024).max(1 << 20) {
                return Err(ne(format!(
                    "{key}: dataset claims {n} elements but the file stores {stored} bytes (corrupt file)"
                )));
            }
            // hdf5-metno panics (instead of returning an error) on some other corrupt datasets:
            // turn that into an error naming the field too.
            let data =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ds.read_dyn::<f64>()))
                    .map_err(|_| ne(format!("{key}: unreadable dataset (corrupt file)")))?
                    .map_err(|x| ne(format!("{key}: {x}")))?;
            fields.insert(key, Field { data, int });
        }
        let subgraph = if kind == "NIRGraph" {
            Some(Box::new(read_graph(path, &ng, &here)?))
        } else {
            None
        };
        graph.nodes.insert(
            name,
            Node {
                kind,
                fields,
                subgraph,
            },
        );
    }
    Ok(graph)
}

/// Read a NIR file. The whole read holds hdf5-metno's global lock, so the isolated reader's
/// `fork` (taken under the same lock) never happens while this process has the file open: a
/// child must not inherit an open, locked HDF5 file.
pub fn read(path: &Path) -> Result<Graph> {
    hdf5::sync::sync(|| read_locked(path))
}

fn read_locked(path: &Path) -> Result<Graph> {
    let f = hdf5::File::open(path).map_err(|x| err(path, format!("cannot open as HDF5: {x}")))?;
    let node = f
        .group("node")
        .map_err(|_| err(path, "not a NIR file: no group /node"))?;
    let kind = node
        .dataset("type")
        .and_then(|d| read_string(&d))
        .map_err(|x| err(path, format!("/node/type: {x}")))?;
    if kind != "NIRGraph" {
        return Err(err(
            path,
            format!("/node/type: expected a NIRGraph, got {kind:?}"),
        ));
    }
    read_graph(path, &node, "/node")
}

fn write_string(g: &hdf5::Group, name: &str, s: &str) -> hdf5::Result<()> {
    let v = VarLenUnicode::from_str(s).map_err(|e| hdf5::Error::from(e.to_string()))?;
    g.new_dataset::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&v)
}

fn write_graph(g: &hdf5::Group, graph: &Graph) -> hdf5::Result<()> {
    write_string(g, "type", "NIRGraph")?;
    let mut edges = Vec::with_capacity(graph.edges.len() * 2);
    for (a, b) in &graph.edges {
        for s in [a, b] {
            edges.push(VarLenUnicode::from_str(s).map_err(|e| hdf5::Error::from(e.to_string()))?);
        }
    }
    let edges = Array2::from_shape_vec((graph.edges.len(), 2), edges).expect("2 per edge");
    g.new_dataset_builder().with_data(&edges).create("edges")?;
    let nodes = g.create_group("nodes")?;
    for (name, node) in &graph.nodes {
        let ng = nodes.create_group(name)?;
        if let Some(sub) = &node.subgraph {
            write_graph(&ng, sub)?;
            continue;
        }
        write_string(&ng, "type", &node.kind)?;
        for (key, f) in &node.fields {
            if f.int {
                let a = f.data.mapv(|v| v as i64);
                ng.new_dataset_builder()
                    .with_data(&a)
                    .create(key.as_str())?;
            } else {
                ng.new_dataset_builder()
                    .with_data(&f.data)
                    .create(key.as_str())?;
            }
        }
    }
    Ok(())
}

/// Write a NIR file (replacing an existing one). Holds hdf5-metno's global lock throughout, as
/// [`read`] does: a reader child forked by another thread meanwhile would otherwise inherit the
/// open file and its lock, and the next open of the file (e.g. the isolated read of what was
/// just written) would fail with "unable to lock file".
pub fn write(path: &Path, graph: &Graph) -> Result<()> {
    hdf5::sync::sync(|| write_locked(path, graph))
}

fn write_locked(path: &Path, graph: &Graph) -> Result<()> {
    let f = hdf5::File::create(path).map_err(|x| err(path, format!("cannot create: {x}")))?;
    (|| -> hdf5::Result<()> {
        write_string(&f, "version", VERSION)?;
        write_graph(&f.create_group("node")?, graph)
    })()
    .map_err(|x| err(path, format!("cannot write: {x}")))
}
