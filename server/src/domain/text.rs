//! Cutting text to a byte budget without splitting a character.

/// The longest prefix of `s` that is at most `max` bytes and ends on a character
/// boundary.
#[must_use]
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clips_on_character_boundaries() {
        assert_eq!(clip("hello", 10), "hello");
        assert_eq!(clip("hello", 3), "hel");
        assert_eq!(clip("éé", 3), "é");
        assert_eq!(clip("é", 0), "");
    }
}
