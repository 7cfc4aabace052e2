//! glia → NIR (stub)
use crate::{Graph, Result};
/// stub
pub fn export() -> Result<Graph> {
    Ok(Graph::default())
}
