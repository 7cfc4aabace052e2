//! Input encoding of NALSM: each image is divided by its pixel sum, then by the largest such
//! value over its whole split (MNIST training set or test set), so that the brightest pixel of
//! the data set fires with probability 1 per ms. Pixels of value 0 never fire; an image is
//! kept as the list of its non-zero pixels and their probabilities.

/// Firing probabilities of one image: `(pixel index, probability)` for non-zero pixels, in
/// pixel order.
pub type Encoded = Vec<(u32, f32)>;

/// The split-wide rescale factor: `max over images and pixels of pixel / Σ pixels`.
/// Images whose pixels are all 0 are left out.
pub fn rescale_factor(images: &[u8], pixels: usize) -> f64 {
    images
        .chunks_exact(pixels)
        .filter_map(|img| {
            let sum: u64 = img.iter().map(|&p| u64::from(p)).sum();
            let max = img.iter().copied().max().unwrap_or(0);
            (sum > 0).then(|| f64::from(max) / sum as f64)
        })
        .fold(0.0, f64::max)
}

/// Encode one image with the split's rescale factor.
pub fn encode(img: &[u8], factor: f64) -> Encoded {
    let sum: u64 = img.iter().map(|&p| u64::from(p)).sum();
    if sum == 0 || factor <= 0.0 {
        return Vec::new();
    }
    img.iter()
        .enumerate()
        .filter(|(_, p)| **p > 0)
        .map(|(m, &p)| (m as u32, (f64::from(p) / sum as f64 / factor) as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_by_sum_then_split_maximum() {
        // Two 4-pixel images: sums 10 and 4; p/sum maxima 0.5 and 0.5 / 0.25 ... the split
        // maximum is max(5/10, 2/4) = 0.5.
        let imgs = [5u8, 3, 2, 0, 1, 1, 2, 0];
        let f = rescale_factor(&imgs, 4);
        assert_eq!(f, 0.5);
        let a = encode(&imgs[..4], f);
        assert_eq!(a, vec![(0, 1.0), (1, 0.6), (2, 0.4)]);
        let b = encode(&imgs[4..], f);
        assert_eq!(b, vec![(0, 0.5), (1, 0.5), (2, 1.0)]);
        // Per image, the probabilities sum to 1 / factor.
        let s: f32 = a.iter().map(|x| x.1).sum();
        assert!((s - 2.0).abs() < 1e-6);
        assert!(encode(&[0, 0, 0, 0], f).is_empty());
    }
}
