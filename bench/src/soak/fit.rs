//! A least-squares straight line through `(seconds, value)` points: the soak's memory
//! growth per hour.

/// Slope of the least-squares line through `points`, per second; `None` with fewer
/// than two distinct times.
#[must_use]
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_of_a_line_is_recovered() {
        let points: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i) * 10.0, 50.0 + f64::from(i) * 2.0))
            .collect();
        assert!((slope(&points).unwrap() - 0.2).abs() < 1e-12);
        let flat: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i), if i % 2 == 0 { 1.0 } else { 3.0 }))
            .collect();
        assert!(slope(&flat).unwrap().abs() < 0.1);
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }
}
