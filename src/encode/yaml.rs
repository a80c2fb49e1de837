//! YAML documents, always written by the serializer (`yaml_serde`), never pasted together:
//! a value becomes a scalar the serializer quotes as it must, so it cannot add a key, a
//! document or a block. Comment lines above a document go through [`super::text::escape`].

use serde::Serialize;

/// A document as YAML.
pub fn document<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    yaml_serde::to_string(value).map_err(|e| e.to_string())
}

/// `# …` lines, one per entry, each escaped so that it ends where its line does, followed by
/// the document.
pub fn with_comments<T: Serialize + ?Sized>(comments: &[String], value: &T) -> Result<String, String> {
    let mut s = String::new();
    for line in comments {
        s.push_str("# ");
        s.push_str(&super::text::escape(line));
        s.push('\n');
    }
    s.push_str(&document(value)?);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_scalars() {
        let doc = serde_json::json!({"name": "a\nb: c\n---\nd", "x": "# not a comment"});
        let text = with_comments(&["made\nby: x".into()], &doc).unwrap();
        assert!(text.starts_with("# made\\nby: x\n"));
        let back: serde_json::Value = yaml_serde::from_str(&text).unwrap();
        assert_eq!(back, doc);
    }
}
