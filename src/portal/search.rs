//! The API reference's search over operations: an inline script, the only one the portal
//! runs, allowed by its SHA-256 in the page's Content-Security-Policy (`script-src
//! 'sha256-…'`, never `'unsafe-inline'`), so it works from `file://` with nothing fetched.
//! It reads the operations from a `<script type="application/json">` element whose text is
//! written by [`crate::encode::html::script_json`], and writes results with `textContent`
//! only. A template that changes the script's text changes its hash: the browser then runs
//! nothing, and the search box stays hidden.

use sha2::{Digest, Sha256};

/// The search script, written into the page exactly as it is here.
pub const SCRIPT: &str = r#"(function () {
  var box = document.getElementById("search");
  var data = document.getElementById("operations-index");
  if (!box || !data) return;
  var ops = JSON.parse(data.textContent);
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  box.hidden = false;
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (!words.length) { status.textContent = ""; return; }
    var hits = ops.filter(function (o) {
      var text = (o.m + " " + o.p + " " + o.s + " " + o.i + " " + o.t).toLowerCase();
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    hits.slice(0, 50).forEach(function (o) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = o.h;
      var m = document.createElement("code");
      m.className = "method method-" + o.m.toLowerCase();
      m.textContent = o.m;
      var p = document.createElement("code");
      p.textContent = o.p;
      a.appendChild(m);
      a.appendChild(document.createTextNode(" "));
      a.appendChild(p);
      li.appendChild(a);
      if (o.s) li.appendChild(document.createTextNode(" " + o.s));
      list.appendChild(li);
    });
    status.textContent = hits.length + (hits.length === 1 ? " operation" : " operations") +
      (hits.length > 50 ? ", the first 50 shown" : "");
  });
})();"#;

/// `'sha256-…'`: the CSP source that allows [`SCRIPT`] and nothing else.
pub fn script_source() -> String {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!("'sha256-{}'", base64(&digest))
}

/// Standard base64 with padding (RFC 4648 §4), as CSP hash sources are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_of_the_script_and_nothing_is_allowed_inline_wholesale() {
        let s = script_source();
        assert!(s.starts_with("'sha256-") && s.ends_with("='"), "{s}");
        assert_eq!(s.len(), "'sha256-'".len() + 44);
        // RFC 4648 §10's vectors.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
        // Only textContent writes the page: no markup from the data.
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("insertAdjacentHTML"));
    }
}
