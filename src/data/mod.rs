//! Datasets: the MNIST digits embedded in the binary, folders of IDX files
//! (MNIST, Fashion-MNIST, KMNIST, EMNIST; raw or `.gz`), folders of images, and
//! toy 1-D and 2-D distributions ([`toy`]) for the GAN game.
//!
//! Every loader returns a [`Dataset`] of 8-bit grayscale images or a
//! [`DataError`] that names the file and the fault. Nothing here panics on bad
//! input and nothing loads partially.

pub mod domains;
pub mod embedded;
pub mod idx;
pub mod image_folder;
pub mod paired;
pub mod toy;

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

pub use embedded::{embedded_mnist, embedded_mnist_static};

/// Side of the square images the image models take.
pub const IMAGE_SIDE: usize = 28;

/// What a training run draws its real batches from: images (every image family) or
/// points of a toy distribution (the toy game). A family declares which it takes
/// ([`crate::family::Input`]).
#[derive(Debug, Clone)]
pub enum TrainData {
    /// 28×28 grayscale images.
    Images(std::sync::Arc<Dataset>),
    /// Points of a 1-D or 2-D toy distribution.
    Points(std::sync::Arc<toy::ToyData>),
}

impl TrainData {
    /// A name for people (the dataset's, or the distribution's).
    pub fn name(&self) -> String {
        match self {
            TrainData::Images(d) => d.name.clone(),
            TrainData::Points(p) => p.name(),
        }
    }

    /// The images, when the data is images.
    pub fn images(&self) -> Option<&std::sync::Arc<Dataset>> {
        match self {
            TrainData::Images(d) => Some(d),
            TrainData::Points(_) => None,
        }
    }

    /// The toy points, when the data is points.
    pub fn points(&self) -> Option<&toy::ToyData> {
        match self {
            TrainData::Images(_) => None,
            TrainData::Points(p) => Some(p),
        }
    }
}

impl From<std::sync::Arc<Dataset>> for TrainData {
    fn from(d: std::sync::Arc<Dataset>) -> Self {
        TrainData::Images(d)
    }
}

impl From<toy::ToyData> for TrainData {
    fn from(p: toy::ToyData) -> Self {
        TrainData::Points(std::sync::Arc::new(p))
    }
}

/// A set of grayscale images, optionally labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Human-readable name, e.g. "MNIST (embedded)".
    pub name: String,
    /// Where it came from: "embedded" or a path.
    pub source: String,
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// All images, row-major, one after the other: 0 is background, 255 is ink.
    pub pixels: Vec<u8>,
    /// One label per image, if the dataset has labels.
    pub labels: Option<Vec<u8>>,
    /// Names of the classes a label indexes (e.g. folder names); empty means "0", "1", ...
    pub class_names: Vec<String>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        let per = self.width * self.height;
        self.pixels.len().checked_div(per).unwrap_or(0)
    }

    /// Whether the dataset holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pixels of image `i` (`width * height` bytes). Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let per = self.width * self.height;
        &self.pixels[i * per..(i + 1) * per]
    }

    /// Number of images per label (index = label), or empty without labels.
    pub fn class_counts(&self) -> Vec<usize> {
        let Some(labels) = &self.labels else {
            return Vec::new();
        };
        let n = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        let mut counts = vec![0; n.max(self.class_names.len())];
        for &l in labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Splits off the last `n` images (clamped to the dataset): `(the rest, the last n)`.
    /// Both keep the labels and class names; their names say which part they are.
    pub fn split_off_last(&self, n: usize) -> (Dataset, Dataset) {
        let total = self.len();
        let n = n.min(total);
        let keep = total - n;
        let per = self.width * self.height;
        let part = |range: std::ops::Range<usize>, name: String| Dataset {
            name,
            source: self.source.clone(),
            width: self.width,
            height: self.height,
            pixels: self.pixels[range.start * per..range.end * per].to_vec(),
            labels: self.labels.as_ref().map(|l| l[range].to_vec()),
            class_names: self.class_names.clone(),
        };
        (
            part(0..keep, format!("{}, first {}", self.name, format_count(keep as u64))),
            part(keep..total, format!("{}, last {}", self.name, format_count(n as u64))),
        )
    }

    /// The images at `indices` as a `(B, 1, H, W)` f32 tensor scaled to [-1, 1].
    pub fn batch_tensor(&self, indices: &[usize], device: &Device) -> candle_core::Result<Tensor> {
        let per = self.width * self.height;
        let mut buf = Vec::with_capacity(indices.len() * per);
        for &i in indices {
            buf.extend(self.image(i).iter().map(|&p| f32::from(p) * (2.0 / 255.0) - 1.0));
        }
        Tensor::from_vec(buf, (indices.len(), 1, self.height, self.width), device)
    }

    /// Checks that the images fit the image models (28×28, at least one image).
    pub fn check_model_input(&self) -> Result<(), DataError> {
        if self.is_empty() {
            return Err(DataError::Empty {
                path: PathBuf::from(&self.source),
            });
        }
        if self.width != IMAGE_SIDE || self.height != IMAGE_SIDE {
            return Err(DataError::WrongImageSize {
                path: PathBuf::from(&self.source),
                width: self.width,
                height: self.height,
            });
        }
        Ok(())
    }
}

/// Loads a dataset from a folder: IDX files if it holds any, otherwise images.
pub fn load_folder(dir: &Path) -> Result<Dataset, DataError> {
    if idx::folder_has_idx(dir)? {
        idx::load_idx_folder(dir)
    } else {
        image_folder::load_image_folder(dir).map(|(ds, _report)| ds)
    }
}

/// Everything that can go wrong when loading data. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be read at all.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The dataset holds no image.
    #[error("{path}: no images found")]
    Empty {
        /// The file or folder.
        path: PathBuf,
    },
    /// An image folder whose only subfolders with content are nested too deep.
    #[error(
        "{path}: no images found (images are read from the folder itself or from one level of class subfolders; {nested} is nested deeper)",
        nested = nested.display()
    )]
    OnlyNested {
        /// The folder.
        path: PathBuf,
        /// The first folder nested too deep.
        nested: PathBuf,
    },
    /// The images are not the size the models take.
    #[error("{path}: images are {width}×{height}; the image models take 28×28")]
    WrongImageSize {
        /// The file or folder.
        path: PathBuf,
        /// Width found.
        width: usize,
        /// Height found.
        height: usize,
    },
    /// Any other fault in the file's contents, described in words.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An IDX file starts with the wrong magic number: not IDX at all, the
    /// other kind of IDX file (labels where images were expected, or the
    /// reverse), or a data type other than unsigned bytes.
    #[error("{path}: magic 0x{found:08x} {found_meaning}, expected {expected_meaning} 0x{expected:08x}")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first four bytes, big-endian.
        found: u32,
        /// What those bytes mean, e.g. "is a label file".
        found_meaning: String,
        /// The magic number wanted.
        expected: u32,
        /// What that magic means, e.g. "an image file".
        expected_meaning: String,
    },
    /// An IDX header has the wrong number of dimensions, a zero-sized image,
    /// or sizes too large to load.
    #[error("{path}: header dimensions {dims:?}: {problem}")]
    BadDimensions {
        /// The file.
        path: PathBuf,
        /// The dimensions the header gives, outermost (item count) first.
        dims: Vec<u32>,
        /// What is wrong with them.
        problem: String,
    },
    /// An IDX file holds a whole number of items, but not as many as its
    /// header says (more or fewer).
    #[error(
        "{path}: the header promises {} {item_name} but the file holds {}{}",
        format_count(*.header_count as u64),
        format_count(*.found_count as u64),
        if .found_count < .header_count { " (cut short, or a wrong header)" } else { " (more than the header says)" }
    )]
    CountMismatch {
        /// The file.
        path: PathBuf,
        /// What an item is, as the header count asks: "images of 28×28", "labels".
        item_name: String,
        /// Items the header promises.
        header_count: usize,
        /// Whole items the file holds.
        found_count: usize,
    },
    /// An IDX file (raw, or a complete gzip stream) ends in the middle of an
    /// item: it was cut short.
    #[error(
        "{path}: the data ends after {} (truncated) while the header promises {promised} ({})",
        format_bytes(*.found_bytes),
        format_bytes(*.expected_bytes)
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes of (decompressed) data found, header included.
        found_bytes: u64,
        /// Bytes the header promises, header included.
        expected_bytes: u64,
        /// What the header promises, e.g. "10,000 images of 28×28".
        promised: String,
    },
    /// A gzip stream is corrupt or ends early: the decompressor failed.
    #[error(
        "{path}: gzip stream ends after {} (corrupt or truncated: {reason}) while the header promises {promised}",
        format_bytes(*.yielded_bytes)
    )]
    TruncatedGzip {
        /// The file.
        path: PathBuf,
        /// Decompressed bytes the stream yielded before failing.
        yielded_bytes: u64,
        /// What the IDX header promises ("a full IDX header" if the header
        /// itself did not come through).
        promised: String,
        /// The decompressor's complaint.
        reason: String,
    },
    /// Bytes follow the data the header promises that do not make a whole
    /// item (or follow the end of the gzip stream).
    #[error("{path}: {} of unexpected data {after}", format_bytes(*.extra_bytes))]
    TrailingData {
        /// The file.
        path: PathBuf,
        /// How many extra bytes.
        extra_bytes: u64,
        /// Where they are, e.g. "after the 10,000 images of 28×28 the header promises".
        after: String,
    },
    /// An image file and its label file disagree on the number of items.
    #[error(
        "{images_path} holds {} images but {labels_path} holds {} labels",
        format_count(*.image_count as u64),
        format_count(*.label_count as u64)
    )]
    LabelCountMismatch {
        /// The image file.
        images_path: PathBuf,
        /// Images in it.
        image_count: usize,
        /// The label file.
        labels_path: PathBuf,
        /// Labels in it.
        label_count: usize,
    },
    /// A folder of images has more class subfolders than labels can index.
    #[error("{path}: {classes} class subfolders; at most {max_classes} are supported")]
    TooManyClasses {
        /// The folder.
        path: PathBuf,
        /// Class subfolders found.
        classes: usize,
        /// The limit.
        max_classes: usize,
    },
    /// A folder holds image files but none of them decodes.
    #[error(
        "{path}: none of the {} image files decodes (first: {first_file}: {first_error})",
        format_count(*.failed as u64)
    )]
    NothingDecoded {
        /// The folder.
        path: PathBuf,
        /// Image files that failed.
        failed: usize,
        /// The first that failed.
        first_file: PathBuf,
        /// Why it failed.
        first_error: String,
    },
}

/// Formats a count with thousands separators: `10000` → `"10,000"`.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Formats a byte count for people, in decimal units: `1_900_000` →
/// `"1.9 MB"`, `512` → `"512 bytes"`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return if bytes == 1 {
            "1 byte".to_owned()
        } else {
            format!("{bytes} bytes")
        };
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
