//! The IDX file format of MNIST, Fashion-MNIST, KMNIST and EMNIST: reading
//! (raw or gzip'd, detected by content), writing, and loading a folder of such
//! files into a [`Dataset`].
//!
//! An IDX file is a 4-byte magic number (`0x00 0x00 type ndims`), `ndims`
//! big-endian `u32` sizes, then the data. Only unsigned bytes (type `0x08`)
//! are read: images have 3 dimensions (count, rows, columns), labels have 1.
//! Every fault — wrong magic, odd dimensions, too few or too many items, a cut
//! gzip stream, bytes left over — is its own [`DataError`] naming the file and
//! the numbers. Nothing here panics on any input, and nothing loads partially.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;

use super::{DataError, Dataset, format_bytes, format_count};

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The IDX type code of unsigned bytes, the only one this reader loads.
const TYPE_U8: u8 = 0x08;
/// Magic number of an IDX image file (unsigned bytes, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX label file (unsigned bytes, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The most decompressed data one IDX file may promise (8 GB): a guard
/// against absurd headers and gzip bombs.
pub const MAX_IDX_DATA_BYTES: u64 = 8_000_000_000;
/// How many bytes past the promised data are counted (not kept) to say how
/// long an over-long file is.
const MAX_COUNTED_EXTRA_BYTES: u64 = 1 << 30;

/// The images of one IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Image width (columns) in pixels.
    pub width: usize,
    /// Image height (rows) in pixels.
    pub height: usize,
    /// All pixels, row-major, image after image (`count * height * width` bytes).
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Swaps rows and columns of every image (EMNIST stores its images
    /// transposed); width and height swap too.
    pub fn transpose(&mut self) {
        let (width_px, height_px) = (self.width, self.height);
        let per_image = width_px * height_px;
        if per_image == 0 {
            return;
        }
        let mut out = vec![0u8; self.pixels.len()];
        for (src, dst) in self.pixels.chunks_exact(per_image).zip(out.chunks_exact_mut(per_image)) {
            // Source pixel (row r, column c) goes to (row c, column r) of an
            // image `height_px` wide.
            for r in 0..height_px {
                for c in 0..width_px {
                    dst[c * height_px + r] = src[r * width_px + c];
                }
            }
        }
        self.pixels = out;
        self.width = height_px;
        self.height = width_px;
    }
}

/// Which kind of IDX file a reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Images,
    Labels,
}

impl Kind {
    fn magic(self) -> u32 {
        match self {
            Kind::Images => IMAGES_MAGIC,
            Kind::Labels => LABELS_MAGIC,
        }
    }

    fn dims(self) -> usize {
        match self {
            Kind::Images => 3,
            Kind::Labels => 1,
        }
    }

    fn meaning(self) -> &'static str {
        match self {
            Kind::Images => "an image file",
            Kind::Labels => "a label file",
        }
    }
}

/// A validated IDX header.
#[derive(Debug, Clone, Copy)]
struct Header {
    kind: Kind,
    count: usize,
    height: usize,
    width: usize,
    /// Bytes one item takes (`height * width` for images, 1 for labels).
    item_bytes: usize,
    /// Bytes all items take together.
    data_bytes: u64,
}

impl Header {
    /// "images of 28×28" or "labels".
    /// ("image" or "images" as `count` asks).
    fn item_name(&self) -> String {
        let s = if self.count == 1 { "" } else { "s" };
        match self.kind {
            Kind::Images => format!("image{s} of {}×{}", self.height, self.width),
            Kind::Labels => format!("label{s}"),
        }
    }

    /// "10,000 images of 28×28" or "10,000 labels".
    fn promised(&self) -> String {
        format!("{} {}", format_count(self.count as u64), self.item_name())
    }
}

/// Reads an IDX image file (raw or gzip'd, told apart by content).
pub fn read_idx_images(path: &Path) -> Result<IdxImages, DataError> {
    let (header, data) = read_idx_file(path, Kind::Images)?;
    Ok(IdxImages {
        count: header.count,
        width: header.width,
        height: header.height,
        pixels: data,
    })
}

/// Reads an IDX label file (raw or gzip'd, told apart by content).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    read_idx_file(path, Kind::Labels).map(|(_, data)| data)
}

/// Parses the bytes of an IDX image file (raw or gzip'd); `name` is the path
/// errors name.
pub fn parse_idx_images(bytes: &[u8], name: &Path) -> Result<IdxImages, DataError> {
    let (header, data) = decode_any(bytes, name, Kind::Images, bytes.len() as u64)?;
    Ok(IdxImages {
        count: header.count,
        width: header.width,
        height: header.height,
        pixels: data,
    })
}

/// Parses the bytes of an IDX label file (raw or gzip'd); `name` is the path
/// errors name.
pub fn parse_idx_labels(bytes: &[u8], name: &Path) -> Result<Vec<u8>, DataError> {
    decode_any(bytes, name, Kind::Labels, bytes.len() as u64).map(|(_, data)| data)
}

fn io_error(path: &Path, source: io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_idx_file(path: &Path, kind: Kind) -> Result<(Header, Vec<u8>), DataError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let file_bytes = file.metadata().map_err(|e| io_error(path, e))?.len();
    decode_any(BufReader::with_capacity(1 << 16, file), path, kind, file_bytes)
}

/// Decodes an IDX stream that may be gzip'd. `size_hint_bytes` is the size
/// of the stored file, used only to bound the first allocation.
fn decode_any<R: BufRead>(
    mut reader: R,
    path: &Path,
    kind: Kind,
    size_hint_bytes: u64,
) -> Result<(Header, Vec<u8>), DataError> {
    let is_gzip = reader
        .fill_buf()
        .map_err(|e| io_error(path, e))?
        .starts_with(&GZIP_MAGIC);
    if !is_gzip {
        return decode(&mut reader, path, kind, false, size_hint_bytes);
    }
    let mut members = GzMembers::new(reader);
    let decoded = decode(&mut members, path, kind, true, size_hint_bytes.saturating_mul(8))?;
    if members.trailing_bytes > 0 {
        return Err(DataError::TrailingData {
            path: path.to_path_buf(),
            extra_bytes: members.trailing_bytes,
            after: "after the end of the gzip stream".to_owned(),
        });
    }
    Ok(decoded)
}

/// Reads gzip members one after another (a gzip file may hold several) and,
/// at the end, counts any non-gzip bytes that follow instead of failing on
/// them. Trailing zero bytes (tape padding) are tolerated, as `gzip` does.
struct GzMembers<R: BufRead> {
    decoder: Option<GzDecoder<R>>,
    /// Non-zero-padding bytes found after the last gzip member.
    trailing_bytes: u64,
}

impl<R: BufRead> GzMembers<R> {
    fn new(reader: R) -> Self {
        Self {
            decoder: Some(GzDecoder::new(reader)),
            trailing_bytes: 0,
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // This member is complete (its CRC checked): see what follows.
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            let mut inner = decoder.into_inner();
            let rest = inner.fill_buf()?;
            if rest.is_empty() {
                return Ok(0);
            }
            if rest.starts_with(&GZIP_MAGIC) {
                self.decoder = Some(GzDecoder::new(inner));
                continue;
            }
            // Not another member: count what is left.
            let mut total = 0u64;
            let mut all_zero = true;
            loop {
                let chunk = inner.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                all_zero &= chunk.iter().all(|&b| b == 0);
                total += chunk.len() as u64;
                let len = chunk.len();
                inner.consume(len);
            }
            if !all_zero {
                self.trailing_bytes = total;
            }
            return Ok(0);
        }
    }
}

/// What came of filling a buffer from a reader.
struct Fill {
    /// Bytes read.
    filled: usize,
    /// The error that stopped the reading early, if any (end of input is not one).
    error: Option<io::Error>,
}

/// Reads into `buf` until it is full, the input ends, or an error happens.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> Fill {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Fill { filled, error: Some(e) };
            }
        }
    }
    Fill { filled, error: None }
}

/// Decodes one IDX stream: header, data, and a check that nothing follows.
fn decode<R: Read>(
    reader: &mut R,
    path: &Path,
    kind: Kind,
    gzip: bool,
    size_hint_bytes: u64,
) -> Result<(Header, Vec<u8>), DataError> {
    let path_buf = || path.to_path_buf();
    // An error while reading: for gzip it is the decompressor's (corrupt or
    // cut stream); for raw files an I/O error.
    let read_failed = |error: io::Error, yielded_bytes: u64, promised: String| -> DataError {
        if gzip {
            DataError::TruncatedGzip {
                path: path_buf(),
                yielded_bytes,
                promised,
                reason: error.to_string(),
            }
        } else {
            io_error(path, error)
        }
    };
    let header_cut = |found_bytes: u64, expected_bytes: u64| DataError::Truncated {
        path: path_buf(),
        found_bytes,
        expected_bytes,
        promised: "a full IDX header".to_owned(),
    };

    // Magic number.
    let mut magic = [0u8; 4];
    let got = fill(reader, &mut magic);
    if let Some(e) = got.error {
        return Err(read_failed(e, got.filled as u64, "a full IDX header".to_owned()));
    }
    if got.filled < magic.len() {
        return Err(header_cut(got.filled as u64, magic.len() as u64));
    }
    check_magic(path, kind, magic)?;

    // Sizes.
    let ndims = usize::from(magic[3]);
    let mut size_bytes = vec![0u8; 4 * ndims];
    let got = fill(reader, &mut size_bytes);
    let header_bytes = 4 + size_bytes.len();
    if let Some(e) = got.error {
        return Err(read_failed(e, (4 + got.filled) as u64, "a full IDX header".to_owned()));
    }
    if got.filled < size_bytes.len() {
        return Err(header_cut((4 + got.filled) as u64, header_bytes as u64));
    }
    let dims: Vec<u32> = size_bytes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let header = check_dims(path, kind, &dims)?;

    // Data: exactly what the header promises, no more.
    let data_len = usize::try_from(header.data_bytes).map_err(|_| DataError::BadDimensions {
        path: path_buf(),
        dims: dims.clone(),
        problem: "too large for this machine's address space".to_owned(),
    })?;
    let capacity = data_len.min(usize::try_from(size_hint_bytes).unwrap_or(usize::MAX));
    let mut data = Vec::with_capacity(capacity);
    let read_result = reader.by_ref().take(header.data_bytes).read_to_end(&mut data);
    let found_bytes = (header_bytes + data.len()) as u64;
    let expected_bytes = header_bytes as u64 + header.data_bytes;
    if let Err(e) = read_result {
        return Err(read_failed(e, found_bytes, header.promised()));
    }
    if data.len() < data_len {
        return Err(if data.len().is_multiple_of(header.item_bytes) {
            DataError::CountMismatch {
                path: path_buf(),
                item_name: header.item_name(),
                header_count: header.count,
                found_count: data.len() / header.item_bytes,
            }
        } else {
            DataError::Truncated {
                path: path_buf(),
                found_bytes,
                expected_bytes,
                promised: header.promised(),
            }
        });
    }

    // Anything after the data?
    let extra = io::copy(&mut reader.by_ref().take(MAX_COUNTED_EXTRA_BYTES), &mut io::sink());
    let extra_bytes = match extra {
        Ok(n) => n,
        Err(e) => return Err(read_failed(e, found_bytes, header.promised())),
    };
    if extra_bytes > 0 {
        let item_bytes = header.item_bytes as u64;
        let whole_extra_items = usize::try_from(extra_bytes / item_bytes).ok();
        return Err(match whole_extra_items.and_then(|n| n.checked_add(header.count)) {
            Some(found_count) if extra_bytes.is_multiple_of(item_bytes) && extra_bytes < MAX_COUNTED_EXTRA_BYTES => {
                DataError::CountMismatch {
                    path: path_buf(),
                    item_name: header.item_name(),
                    header_count: header.count,
                    found_count,
                }
            }
            _ => DataError::TrailingData {
                path: path_buf(),
                extra_bytes,
                after: format!("after the {} the header promises", header.promised()),
            },
        });
    }
    Ok((header, data))
}

/// Describes a magic number in words, for error messages.
fn describe_magic(magic: [u8; 4]) -> String {
    if magic[..2] == GZIP_MAGIC {
        return "is a gzip stream inside the gzip stream (gzip'd twice?), not an IDX header".to_owned();
    }
    if magic == [0x89, b'P', b'N', b'G'] {
        return "is a PNG image, not an IDX file".to_owned();
    }
    if magic[0] != 0 || magic[1] != 0 {
        return "is not an IDX file (its first two bytes must be zero)".to_owned();
    }
    let type_name = match magic[2] {
        0x08 => "unsigned bytes",
        0x09 => "signed bytes",
        0x0b => "16-bit integers",
        0x0c => "32-bit integers",
        0x0d => "32-bit floats",
        0x0e => "64-bit floats",
        _ => "an unknown data type",
    };
    if magic[2] != TYPE_U8 {
        return format!(
            "holds {type_name} (data type 0x{:02x}; only unsigned bytes, 0x08, are supported)",
            magic[2]
        );
    }
    match magic[3] {
        1 => "is a label file".to_owned(),
        3 => "is an image file".to_owned(),
        n => format!("is an IDX file of unsigned bytes in {n} dimension(s)"),
    }
}

/// Checks the magic number. An IDX file of unsigned bytes with a dimension
/// count of neither kind passes here and fails in [`check_dims`], which can
/// show its sizes.
fn check_magic(path: &Path, kind: Kind, magic: [u8; 4]) -> Result<(), DataError> {
    let found = u32::from_be_bytes(magic);
    let other_kind = match kind {
        Kind::Images => Kind::Labels,
        Kind::Labels => Kind::Images,
    };
    let u8_idx = magic[0] == 0 && magic[1] == 0 && magic[2] == TYPE_U8;
    if found == kind.magic() || (u8_idx && usize::from(magic[3]) != other_kind.dims()) {
        return Ok(());
    }
    Err(DataError::BadMagic {
        path: path.to_path_buf(),
        found,
        found_meaning: describe_magic(magic),
        expected: kind.magic(),
        expected_meaning: kind.meaning().to_owned(),
    })
}

fn check_dims(path: &Path, kind: Kind, dims: &[u32]) -> Result<Header, DataError> {
    let bad = |problem: String| DataError::BadDimensions {
        path: path.to_path_buf(),
        dims: dims.to_vec(),
        problem,
    };
    let to_usize = |v: u32| usize::try_from(v).map_err(|_| bad("a size does not fit this machine".to_owned()));
    let (count, height, width) = match (kind, dims) {
        (Kind::Images, &[count, rows, cols]) => {
            if rows == 0 || cols == 0 {
                return Err(bad(format!("images of {rows}×{cols} pixels have no pixel")));
            }
            (to_usize(count)?, to_usize(rows)?, to_usize(cols)?)
        }
        (Kind::Labels, &[count]) => (to_usize(count)?, 1, 1),
        (Kind::Images, _) => {
            return Err(bad(format!(
                "an image file needs 3 dimensions (count, rows, columns), this one has {}",
                dims.len()
            )));
        }
        (Kind::Labels, _) => {
            return Err(bad(format!(
                "a label file needs 1 dimension (count), this one has {}",
                dims.len()
            )));
        }
    };
    let too_large = || {
        bad(format!(
            "the data would take more than the {} one IDX file may hold",
            format_bytes(MAX_IDX_DATA_BYTES)
        ))
    };
    let item_bytes = height.checked_mul(width).ok_or_else(too_large)?;
    let data_bytes = (count as u64).checked_mul(item_bytes as u64).ok_or_else(too_large)?;
    if data_bytes > MAX_IDX_DATA_BYTES {
        return Err(too_large());
    }
    Ok(Header {
        kind,
        count,
        height,
        width,
        item_bytes,
        data_bytes,
    })
}

/// The bytes of a raw IDX image file holding `pixels` (images of
/// `width`×`height`, row-major, one after another).
pub fn encode_idx_images(width: usize, height: usize, pixels: &[u8]) -> Result<Vec<u8>, DataError> {
    let bad = |problem: String| DataError::BadDimensions {
        path: PathBuf::from("<images to write>"),
        dims: vec![
            u32::try_from(pixels.len()).unwrap_or(u32::MAX),
            u32::try_from(height).unwrap_or(u32::MAX),
            u32::try_from(width).unwrap_or(u32::MAX),
        ],
        problem,
    };
    let per_image = width
        .checked_mul(height)
        .filter(|&n| n > 0)
        .ok_or_else(|| bad(format!("images of {height}×{width} pixels cannot be written")))?;
    if !pixels.len().is_multiple_of(per_image) {
        return Err(bad(format!(
            "{} pixels are not a whole number of {height}×{width} images",
            pixels.len()
        )));
    }
    let to_u32 = |v: usize| u32::try_from(v).map_err(|_| bad(format!("{v} does not fit a u32 IDX size")));
    let sizes = [to_u32(pixels.len() / per_image)?, to_u32(height)?, to_u32(width)?];
    let mut out = Vec::with_capacity(16 + pixels.len());
    out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for size in sizes {
        out.extend_from_slice(&size.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    Ok(out)
}

/// The bytes of a raw IDX label file holding `labels`.
pub fn encode_idx_labels(labels: &[u8]) -> Result<Vec<u8>, DataError> {
    let count = u32::try_from(labels.len()).map_err(|_| DataError::BadDimensions {
        path: PathBuf::from("<labels to write>"),
        dims: vec![u32::MAX],
        problem: format!("{} labels do not fit a u32 IDX size", labels.len()),
    })?;
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(labels);
    Ok(out)
}

/// Gzips `bytes` reproducibly (no timestamp, no file name in the header).
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4 + 64), Compression::default());
    // Writing into a Vec cannot fail.
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_default()
}

fn write_file(path: &Path, bytes: &[u8], gzip: bool) -> Result<(), DataError> {
    let mut file = File::create(path).map_err(|e| io_error(path, e))?;
    let result = if gzip {
        let mut encoder = GzEncoder::new(io::BufWriter::new(&mut file), Compression::default());
        encoder
            .write_all(bytes)
            .and_then(|()| encoder.finish())
            .and_then(|mut w| w.flush())
    } else {
        file.write_all(bytes)
    };
    result.map_err(|e| io_error(path, e))
}

/// Writes images (`width`×`height`, row-major, one after another) as an IDX
/// image file, gzip'd if `gzip`.
pub fn write_idx_images(path: &Path, width: usize, height: usize, pixels: &[u8], gzip: bool) -> Result<(), DataError> {
    let bytes = encode_idx_images(width, height, pixels).map_err(|e| rename_error(e, path))?;
    write_file(path, &bytes, gzip)
}

/// Writes labels as an IDX label file, gzip'd if `gzip`.
pub fn write_idx_labels(path: &Path, labels: &[u8], gzip: bool) -> Result<(), DataError> {
    let bytes = encode_idx_labels(labels).map_err(|e| rename_error(e, path))?;
    write_file(path, &bytes, gzip)
}

/// Points an encoding error at the file being written.
fn rename_error(error: DataError, path: &Path) -> DataError {
    match error {
        DataError::BadDimensions { dims, problem, .. } => DataError::BadDimensions {
            path: path.to_path_buf(),
            dims,
            problem,
        },
        other => other,
    }
}

/// Whether an IDX file name (lowercased, without `.gz`) names images or labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FileRole {
    Images,
    Labels,
}

/// The training or the test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Split {
    Train,
    Test,
}

/// What an IDX file name says about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdxName {
    /// What comes before the split, e.g. "emnist-balanced-" ("" for MNIST).
    prefix: String,
    split: Split,
    role: FileRole,
    gzip: bool,
}

/// Parses names like `train-images-idx3-ubyte(.gz)`,
/// `t10k-labels.idx1-ubyte`, `emnist-digits-test-images-idx3-ubyte.gz`.
fn parse_idx_name(file_name: &str) -> Option<IdxName> {
    let lower = file_name.to_ascii_lowercase();
    let (rest, gzip) = match lower.strip_suffix(".gz") {
        Some(rest) => (rest, true),
        None => (lower.as_str(), false),
    };
    let (rest, role) = if let Some(rest) = rest.strip_suffix("idx3-ubyte") {
        (rest, FileRole::Images)
    } else if let Some(rest) = rest.strip_suffix("idx1-ubyte") {
        (rest, FileRole::Labels)
    } else {
        return None;
    };
    let rest = rest.strip_suffix(['-', '.', '_'])?;
    let rest = rest.strip_suffix(match role {
        FileRole::Images => "images",
        FileRole::Labels => "labels",
    })?;
    let rest = rest.strip_suffix(['-', '.', '_'])?;
    let (prefix, split) = if let Some(p) = rest.strip_suffix("train") {
        (p, Split::Train)
    } else if let Some(p) = rest.strip_suffix("t10k") {
        (p, Split::Test)
    } else if let Some(p) = rest.strip_suffix("test") {
        (p, Split::Test)
    } else {
        return None;
    };
    if !(prefix.is_empty() || prefix.ends_with(['-', '.', '_'])) {
        return None;
    }
    Some(IdxName {
        prefix: prefix.to_owned(),
        split,
        role,
        gzip,
    })
}

/// The IDX files of a folder, sorted by name.
fn idx_files_in(dir: &Path) -> Result<Vec<(PathBuf, IdxName)>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().and_then(parse_idx_name) else {
            continue;
        };
        if path.is_file() {
            found.push((path, name));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Whether `dir` holds IDX files (named like MNIST's, EMNIST's, …, raw or
/// `.gz`). Fails if the folder cannot be read.
pub fn folder_has_idx(dir: &Path) -> Result<bool, DataError> {
    Ok(!idx_files_in(dir)?.is_empty())
}

/// Loads the IDX dataset in `dir`: the training images (and labels, if
/// present), followed by the test images if present. A raw file is preferred
/// over a `.gz` of the same name. A folder holding several datasets (e.g.
/// several EMNIST splits) is refused: load one with [`load_idx_files`].
pub fn load_idx_folder(dir: &Path) -> Result<Dataset, DataError> {
    let files = idx_files_in(dir)?;
    let invalid = |message: String| DataError::Invalid {
        path: dir.to_path_buf(),
        message,
    };
    let mut prefixes: Vec<&str> = files
        .iter()
        .filter(|(_, n)| n.role == FileRole::Images)
        .map(|(_, n)| n.prefix.as_str())
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let prefix = match prefixes.as_slice() {
        [] => {
            return Err(if files.is_empty() {
                invalid("no IDX files (train-images-idx3-ubyte, …) in this folder".to_owned())
            } else {
                invalid("IDX label files but no IDX image file (…-images-idx3-ubyte) in this folder".to_owned())
            });
        }
        [one] => (*one).to_owned(),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|p| {
                    let p = p.trim_end_matches(['-', '.', '_']);
                    if p.is_empty() {
                        "(no prefix)".to_owned()
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            return Err(invalid(format!(
                "this folder holds several IDX datasets ({}); move them to separate folders",
                names.join(", ")
            )));
        }
    };
    // For each split and role, the file to read (raw preferred over .gz).
    let pick = |split: Split, role: FileRole| -> Option<&Path> {
        let mut candidates: Vec<&(PathBuf, IdxName)> = files
            .iter()
            .filter(|(_, n)| n.prefix == prefix && n.split == split && n.role == role)
            .collect();
        candidates.sort_by_key(|(p, n)| (n.gzip, p.clone()));
        candidates.first().map(|(p, _)| p.as_path())
    };

    let mut parts = Vec::new();
    for split in [Split::Train, Split::Test] {
        if let Some(images) = pick(split, FileRole::Images) {
            parts.push((images, pick(split, FileRole::Labels)));
        }
    }
    let with_labels = parts.iter().filter(|(_, l)| l.is_some()).count();
    if with_labels != 0 && with_labels != parts.len() {
        let missing: Vec<String> = parts
            .iter()
            .filter(|(_, l)| l.is_none())
            .map(|(i, _)| i.display().to_string())
            .collect();
        return Err(invalid(format!(
            "some image files have label files and some do not (no labels for {}); add the labels or remove the unlabelled images",
            missing.join(", ")
        )));
    }

    let mut loaded: Vec<(IdxImages, Option<Vec<u8>>, &Path)> = Vec::new();
    for (images_path, labels_path) in parts {
        let (images, labels) = read_pair(images_path, labels_path)?;
        if let Some((first, _, first_path)) = loaded.first()
            && (first.width, first.height) != (images.width, images.height)
        {
            return Err(invalid(format!(
                "{} holds images of {}×{} but {} holds images of {}×{}",
                first_path.display(),
                first.height,
                first.width,
                images_path.display(),
                images.height,
                images.width
            )));
        }
        loaded.push((images, labels, images_path));
    }

    let (width, height) = loaded.first().map(|(i, _, _)| (i.width, i.height)).unwrap_or((0, 0));
    let total_pixels: usize = loaded.iter().map(|(i, _, _)| i.pixels.len()).sum();
    let mut pixels = Vec::with_capacity(total_pixels);
    let mut labels = (with_labels > 0).then(Vec::new);
    let mut count = 0usize;
    for (images, part_labels, _) in loaded {
        count += images.count;
        pixels.extend_from_slice(&images.pixels);
        if let (Some(all), Some(part)) = (labels.as_mut(), part_labels) {
            all.extend_from_slice(&part);
        }
    }
    if count == 0 {
        return Err(DataError::Empty {
            path: dir.to_path_buf(),
        });
    }
    let folder_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let label = prefix.trim_end_matches(['-', '.', '_']);
    let title = if label.is_empty() {
        folder_name
    } else {
        label.to_owned()
    };
    Ok(Dataset {
        name: format!("{title} (IDX, {} images)", format_count(count as u64)),
        source: dir.display().to_string(),
        width,
        height,
        pixels,
        labels,
        class_names: emnist_class_names(dir, &prefix),
    })
}

/// Class names from an EMNIST mapping file (`emnist-balanced-mapping.txt`:
/// lines of "label ascii-code"), or empty when there is none or it does not
/// parse.
fn emnist_class_names(dir: &Path, prefix: &str) -> Vec<String> {
    if !prefix.contains("emnist") {
        return Vec::new();
    }
    let path = dir.join(format!("{prefix}mapping.txt"));
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // "label code" or, for EMNIST Letters, "label upper-code lower-code".
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some((label, codes)) = fields.split_first() else {
            return Vec::new();
        };
        let chars: Option<Vec<char>> = codes
            .iter()
            .map(|c| c.parse::<u32>().ok().and_then(char::from_u32))
            .collect();
        let (Ok(label), Some(chars)) = (label.parse::<u8>(), chars) else {
            return Vec::new();
        };
        if chars.is_empty() || chars.len() > 2 {
            return Vec::new();
        }
        let name = chars.iter().map(char::to_string).collect::<Vec<_>>().join("/");
        pairs.push((usize::from(label), name));
    }
    let Some(max_label) = pairs.iter().map(|&(l, _)| l).max() else {
        return Vec::new();
    };
    let mut names: Vec<String> = (0..=max_label).map(|l| l.to_string()).collect();
    for (label, name) in pairs {
        names[label] = name;
    }
    names
}

/// Reads an image file and its optional label file, checks they agree, and
/// transposes EMNIST images.
fn read_pair(images_path: &Path, labels_path: Option<&Path>) -> Result<(IdxImages, Option<Vec<u8>>), DataError> {
    let mut images = read_idx_images(images_path)?;
    let labels = match labels_path {
        Some(labels_path) => {
            let labels = read_idx_labels(labels_path)?;
            if labels.len() != images.count {
                return Err(DataError::LabelCountMismatch {
                    images_path: images_path.to_path_buf(),
                    image_count: images.count,
                    labels_path: labels_path.to_path_buf(),
                    label_count: labels.len(),
                });
            }
            Some(labels)
        }
        None => None,
    };
    if is_emnist(images_path) {
        images.transpose();
    }
    Ok((images, labels))
}

/// Whether a file is EMNIST's (its name says so): EMNIST stores images transposed.
fn is_emnist(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().contains("emnist"))
}

/// Loads one IDX image file and, optionally, its label file. EMNIST files
/// (the name contains "emnist") are transposed so the characters stand upright.
pub fn load_idx_files(images: &Path, labels: Option<&Path>) -> Result<Dataset, DataError> {
    let (idx, labels) = read_pair(images, labels)?;
    if idx.count == 0 {
        return Err(DataError::Empty {
            path: images.to_path_buf(),
        });
    }
    let stem = images
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| images.display().to_string());
    let stem = stem.strip_suffix(".gz").unwrap_or(&stem).to_owned();
    Ok(Dataset {
        name: format!("{stem} (IDX, {} images)", format_count(idx.count as u64)),
        source: images.display().to_string(),
        width: idx.width,
        height: idx.height,
        pixels: idx.pixels,
        labels,
        class_names: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        let n = parse_idx_name("train-images-idx3-ubyte.gz").unwrap();
        assert_eq!(
            (n.prefix.as_str(), n.split, n.role, n.gzip),
            ("", Split::Train, FileRole::Images, true)
        );
        let n = parse_idx_name("t10k-labels.idx1-ubyte").unwrap();
        assert_eq!((n.split, n.role, n.gzip), (Split::Test, FileRole::Labels, false));
        let n = parse_idx_name("emnist-balanced-test-images-idx3-ubyte").unwrap();
        assert_eq!((n.prefix.as_str(), n.split), ("emnist-balanced-", Split::Test));
        assert!(parse_idx_name("train-labels-idx3-ubyte").is_none());
        assert!(parse_idx_name("readme.txt").is_none());
        assert!(parse_idx_name("mytrain-images-idx3-ubyte").is_none());
    }

    #[test]
    fn transpose_swaps_rows_and_columns() {
        // One 2-row, 3-column image: [[1,2,3],[4,5,6]].
        let mut images = IdxImages {
            count: 1,
            width: 3,
            height: 2,
            pixels: vec![1, 2, 3, 4, 5, 6],
        };
        images.transpose();
        assert_eq!((images.width, images.height), (2, 3));
        assert_eq!(images.pixels, vec![1, 4, 2, 5, 3, 6]);
    }

    #[test]
    fn gzip_members_and_padding() {
        let raw = encode_idx_labels(&[1, 2, 3]).unwrap();
        // Two members concatenated decode as one stream.
        let mut two = gzip_bytes(&raw[..5]);
        two.extend_from_slice(&gzip_bytes(&raw[5..]));
        assert_eq!(parse_idx_labels(&two, Path::new("x")).unwrap(), vec![1, 2, 3]);
        // Zero padding after the stream is tolerated; other bytes are not.
        let mut padded = gzip_bytes(&raw);
        padded.extend_from_slice(&[0; 7]);
        assert_eq!(parse_idx_labels(&padded, Path::new("x")).unwrap(), vec![1, 2, 3]);
        let mut junk = gzip_bytes(&raw);
        junk.extend_from_slice(b"junk");
        let err = parse_idx_labels(&junk, Path::new("x")).unwrap_err();
        assert!(matches!(err, DataError::TrailingData { extra_bytes: 4, .. }), "{err}");
    }

    #[test]
    fn no_input_panics() {
        // Every prefix of a valid file, and a few mutated headers, give errors, not panics.
        let raw = encode_idx_images(2, 2, &[9; 8]).unwrap();
        for len in 0..raw.len() {
            assert!(parse_idx_images(&raw[..len], Path::new("x")).is_err());
            let gz = gzip_bytes(&raw);
            let cut = len * gz.len() / raw.len();
            assert!(parse_idx_images(&gz[..cut], Path::new("x")).is_err());
        }
        let mut huge = raw.clone();
        huge[4..16].copy_from_slice(&[0xff; 12]);
        assert!(matches!(
            parse_idx_images(&huge, Path::new("x")),
            Err(DataError::BadDimensions { .. })
        ));
        let mut many_dims = raw;
        many_dims[3] = 0xff;
        assert!(parse_idx_images(&many_dims, Path::new("x")).is_err());
    }
}
