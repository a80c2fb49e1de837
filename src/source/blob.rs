//! A file's bytes as a snapshot holds them.
//!
//! A program of 100,000 partners is about 140 MB of YAML, and its bytes stay in memory for the
//! whole run: a finding's line and column, a plan's comparison of a changed file and a
//! document's policy form after its release are all read again from them (never from disk,
//! so they always match what was checked). They are kept compressed (LZ4, about half the
//! size for a partner file) when that makes them smaller, and are decompressed where they
//! are read: 2 GB/s, against 0.5 GB/s for the compression, once, as the file is read.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Files smaller than this are kept as they are: the compressed form would save little.
const PACK_FROM: usize = 256;

/// A file's bytes, shared (the model's documents and a plan's base hold the same bytes rather
/// than copies), compressed when that makes them smaller.
#[derive(Clone)]
pub struct Blob {
    /// A `Vec` behind the `Arc`, not a slice: a file read into a `Vec` becomes a blob without
    /// its bytes being copied again.
    data: Arc<Vec<u8>>,
    /// `data` is the LZ4 block of the bytes, after their length (4 bytes, little-endian).
    packed: bool,
}

impl Blob {
    pub fn new(bytes: &[u8]) -> Blob {
        if bytes.len() >= PACK_FROM && u32::try_from(bytes.len()).is_ok() {
            let mut packed = lz4_flex::compress_prepend_size(bytes);
            if packed.len() < bytes.len() {
                // The compressor reserves the worst case; the blob keeps what it wrote.
                packed.shrink_to_fit();
                return Blob {
                    data: Arc::new(packed),
                    packed: true,
                };
            }
        }
        Blob {
            data: Arc::new(bytes.to_vec()),
            packed: false,
        }
    }

    /// The bytes kept as they are, never compressed (see [`crate::source::PACK_PROGRAM_FROM`]).
    pub fn plain(bytes: Vec<u8>) -> Blob {
        Blob {
            data: Arc::new(bytes),
            packed: false,
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        if self.packed {
            // The block is this type's own, made by `new`: it always decompresses.
            Cow::Owned(lz4_flex::decompress_size_prepended(&self.data).expect("a block Blob::new made"))
        } else {
            Cow::Borrowed(self.data.as_slice())
        }
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        if self.packed {
            let mut n = [0u8; 4];
            n.copy_from_slice(&self.data[..4]);
            u32::from_le_bytes(n) as usize
        } else {
            self.data.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Blob {
    /// The same bytes. Compression is deterministic, so two packed blobs hold the same bytes
    /// exactly when they hold the same block.
    fn eq(&self, other: &Blob) -> bool {
        // Shared bytes (a plan's base holds the desired side's blob for a file both hold
        // alike) are equal without comparing them.
        if Arc::ptr_eq(&self.data, &other.data) {
            return true;
        }
        if self.packed == other.packed {
            self.data == other.data
        } else {
            self.bytes() == other.bytes()
        }
    }
}

impl Eq for Blob {}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Blob({} bytes", self.len())?;
        if self.packed {
            write!(f, ", {} packed", self.data.len())?;
        }
        f.write_str(")")
    }
}

impl From<&[u8]> for Blob {
    fn from(bytes: &[u8]) -> Blob {
        Blob::new(bytes)
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Blob {
        Blob::new(&bytes)
    }
}

impl From<&str> for Blob {
    fn from(text: &str) -> Blob {
        Blob::new(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_was_given_packed_or_not() {
        let yaml = "apiVersion: partnerctl/v1\nkind: Partner\n".repeat(40);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        for bytes in [&b""[..], b"a: 1\n", yaml.as_bytes(), &noise] {
            let blob = Blob::new(bytes);
            assert_eq!(&*blob.bytes(), bytes);
            assert_eq!(blob.len(), bytes.len());
            assert!(blob.data.len() <= bytes.len().max(1), "never larger than the bytes");
        }
        assert!(Blob::new(yaml.as_bytes()).packed, "a YAML file is kept compressed");
        assert!(
            !Blob::new(&noise).packed,
            "bytes that do not compress are kept as they are"
        );
    }

    #[test]
    fn equal_exactly_when_the_bytes_are() {
        let a = "kind: Partner\nname: acme\n".repeat(20);
        let b = a.replace("acme", "acmf");
        assert_eq!(Blob::from(a.as_str()), Blob::from(a.as_str()));
        assert_ne!(Blob::from(a.as_str()), Blob::from(b.as_str()));
        let plain = Blob {
            data: Arc::new(a.as_bytes().to_vec()),
            packed: false,
        };
        assert_eq!(plain, Blob::from(a.as_str()), "packed or not, the same bytes");
    }
}
