//! Loading a folder of ordinary images (PNG, JPEG, BMP) as a dataset: either
//! unlabelled images directly in the folder, or one subfolder per class (the
//! folder name is the class). Every image becomes a 28×28 8-bit grayscale
//! image in MNIST's style — fitted into the square keeping its aspect,
//! centred, and inverted if it has a light background so the ink is light on
//! dark. Files that fail to decode are skipped and listed in a [`SkipReport`]
//! the UI or CLI can show; loading is in sorted path order, so deterministic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, ImageReader, Luma};

use super::{DataError, Dataset, IMAGE_SIDE, format_count};

/// File extensions (lowercase) loaded as images.
pub const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];
/// The most class subfolders a folder may have (labels are bytes).
pub const MAX_CLASSES: usize = 256;
/// Images whose mean gray level (0–255) is above this are taken to have a
/// light background and are inverted.
pub const LIGHT_MEAN_THRESHOLD: f64 = 127.0;
/// How many skipped files [`SkipReport::summary`] lists by name.
const SUMMARY_LISTED_FILES: usize = 5;

/// What happened while loading an image folder, beyond the images themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipReport {
    /// The folder loaded.
    pub folder: PathBuf,
    /// Images loaded.
    pub loaded: usize,
    /// Class subfolders found (0 for an unlabelled folder).
    pub classes: usize,
    /// Image files not loaded, each with the reason (fails to decode, or an
    /// image lying beside class subfolders).
    pub skipped: Vec<(PathBuf, String)>,
    /// Files ignored because they are not PNG/JPEG/BMP by extension (hidden
    /// files are not counted).
    pub ignored_files: usize,
    /// Images inverted because their background was light.
    pub inverted: usize,
    /// Images resized because they were not 28×28.
    pub resized: usize,
    /// Whether the source images came in more than one size.
    pub mixed_sizes: bool,
    /// Source sizes found, (width, height) in pixels → number of images.
    pub source_sizes: BTreeMap<(u32, u32), usize>,
    /// Folders inside class subfolders: not read (images are read from the folder itself
    /// or from one level of class subfolders).
    pub nested_folders: Vec<PathBuf>,
}

impl SkipReport {
    /// A few sentences for people: what was loaded, skipped, inverted and
    /// resized.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "Loaded {} image{} from {}",
            format_count(self.loaded as u64),
            plural(self.loaded),
            self.folder.display()
        );
        if self.classes > 0 {
            let _ = write!(
                out,
                " in {} class{}",
                self.classes,
                if self.classes == 1 { "" } else { "es" }
            );
        }
        out.push('.');
        if !self.skipped.is_empty() {
            let _ = write!(
                out,
                " Skipped {} file{}:",
                format_count(self.skipped.len() as u64),
                plural(self.skipped.len())
            );
            for (path, reason) in self.skipped.iter().take(SUMMARY_LISTED_FILES) {
                let name = path.strip_prefix(&self.folder).unwrap_or(path);
                let _ = write!(out, " {} ({reason});", name.display());
            }
            if self.skipped.len() > SUMMARY_LISTED_FILES {
                let _ = write!(out, " and {} more;", self.skipped.len() - SUMMARY_LISTED_FILES);
            }
            out.pop();
            out.push('.');
        }
        if !self.nested_folders.is_empty() {
            let names: Vec<String> = self
                .nested_folders
                .iter()
                .take(SUMMARY_LISTED_FILES)
                .map(|p| p.strip_prefix(&self.folder).unwrap_or(p).display().to_string())
                .collect();
            let more = self.nested_folders.len().saturating_sub(SUMMARY_LISTED_FILES);
            let _ = write!(
                out,
                " Did not read {} folder{} nested deeper than one class level: {}{}.",
                self.nested_folders.len(),
                plural(self.nested_folders.len()),
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        if self.ignored_files > 0 {
            let _ = write!(
                out,
                " Ignored {} file{} that {} not PNG, JPEG or BMP.",
                format_count(self.ignored_files as u64),
                plural(self.ignored_files),
                if self.ignored_files == 1 { "is" } else { "are" }
            );
        }
        if self.inverted > 0 {
            let _ = write!(
                out,
                " Inverted {} image{} with a light background so the ink is light on dark, like MNIST.",
                format_count(self.inverted as u64),
                plural(self.inverted)
            );
        }
        if self.mixed_sizes {
            let sizes: Vec<String> = self
                .source_sizes
                .iter()
                .map(|(&(w, h), &n)| format!("{w}×{h} ({})", format_count(n as u64)))
                .collect();
            let _ = write!(out, " The images come in several sizes: {}.", sizes.join(", "));
        }
        if self.resized > 0 {
            let _ = write!(
                out,
                " Resized {} image{} to {IMAGE_SIDE}×{IMAGE_SIDE}, keeping the aspect ratio.",
                format_count(self.resized as u64),
                plural(self.resized)
            );
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One image converted to the models' input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertedImage {
    /// 28×28 gray pixels, row-major: 0 is background, 255 is ink.
    pub pixels: Vec<u8>,
    /// Size of the source image in pixels, (width, height).
    pub source_size: (u32, u32),
    /// Whether the image was inverted (it had a light background).
    pub inverted: bool,
    /// Whether the image was resized (it was not 28×28).
    pub resized: bool,
}

/// Converts an image to MNIST's style: 8-bit gray, light ink on a dark
/// background (inverted if its mean is above [`LIGHT_MEAN_THRESHOLD`]),
/// fitted into 28×28 keeping the aspect ratio and centred on the background
/// level. Transparent pixels are laid on the colour that contrasts with the
/// ink.
pub fn convert_image(image: &DynamicImage) -> ConvertedImage {
    let mut gray = flatten_to_gray(image);
    let source_size = gray.dimensions();
    let pixel_count = gray.as_raw().len().max(1);
    let mean = gray.as_raw().iter().map(|&p| u64::from(p)).sum::<u64>() as f64 / pixel_count as f64;
    let inverted = mean > LIGHT_MEAN_THRESHOLD;
    if inverted {
        image::imageops::invert(&mut gray);
    }
    let side = IMAGE_SIDE as u32;
    let resized = source_size != (side, side);
    let pixels = if resized {
        fit_into_square(&gray, side)
    } else {
        gray.into_raw()
    };
    ConvertedImage {
        pixels,
        source_size,
        inverted,
        resized,
    }
}

/// Gray levels of an image; with transparency, the pixels are composited on
/// white if the (alpha-weighted) ink is dark and on black otherwise.
fn flatten_to_gray(image: &DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.to_luma8();
    }
    let gray_alpha = image.to_luma_alpha8();
    let (mut weighted_sum, mut alpha_sum) = (0u64, 0u64);
    for p in gray_alpha.pixels() {
        let [level, alpha] = p.0;
        weighted_sum += u64::from(level) * u64::from(alpha);
        alpha_sum += u64::from(alpha);
    }
    let ink_is_dark = alpha_sum == 0 || weighted_sum / alpha_sum < 128;
    let background: u32 = if ink_is_dark { 255 } else { 0 };
    let (width, height) = gray_alpha.dimensions();
    GrayImage::from_fn(width, height, |x, y| {
        let [level, alpha] = gray_alpha.get_pixel(x, y).0;
        let (level, alpha) = (u32::from(level), u32::from(alpha));
        let value = (level * alpha + background * (255 - alpha) + 127) / 255;
        Luma([u8::try_from(value).unwrap_or(u8::MAX)])
    })
}

/// Scales `gray` to fit a `side`×`side` square keeping its aspect ratio and
/// centres it on the median of its border pixels (the background level).
fn fit_into_square(gray: &GrayImage, side: u32) -> Vec<u8> {
    let (width, height) = gray.dimensions();
    let side_usize = side as usize;
    if width == 0 || height == 0 {
        return vec![0; side_usize * side_usize];
    }
    let scale = f64::min(f64::from(side) / f64::from(width), f64::from(side) / f64::from(height));
    let fit = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, side);
    let (new_width, new_height) = (fit(width), fit(height));
    let scaled = image::imageops::resize(gray, new_width, new_height, FilterType::Triangle);
    let background = border_median(&scaled);
    let mut out = vec![background; side_usize * side_usize];
    let (left, top) = ((side - new_width) / 2, (side - new_height) / 2);
    for (x, y, p) in scaled.enumerate_pixels() {
        let index = (top + y) as usize * side_usize + (left + x) as usize;
        if let Some(slot) = out.get_mut(index) {
            *slot = p.0[0];
        }
    }
    out
}

/// Median gray level of the outermost pixels of an image: the background
/// level, unmoved by ink that touches the edge.
fn border_median(gray: &GrayImage) -> u8 {
    let (width, height) = gray.dimensions();
    let mut histogram = [0u64; 256];
    let mut count = 0u64;
    for (x, y, p) in gray.enumerate_pixels() {
        if x == 0 || y == 0 || x + 1 == width || y + 1 == height {
            histogram[usize::from(p.0[0])] += 1;
            count += 1;
        }
    }
    let mut seen = 0u64;
    for (level, &n) in histogram.iter().enumerate() {
        seen += n;
        if seen * 2 >= count && n > 0 {
            return u8::try_from(level).unwrap_or(u8::MAX);
        }
    }
    0
}

/// Whether a path has an image extension (case-insensitive).
fn is_image_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The entries of a folder, sorted, split into image files, other files
/// (counted) and subfolders; hidden entries are left out.
struct Listing {
    images: Vec<PathBuf>,
    other_files: usize,
    folders: Vec<PathBuf>,
}

fn list(dir: &Path) -> Result<Listing, DataError> {
    let io_error = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        paths.push(entry.map_err(io_error)?.path());
    }
    paths.sort();
    let mut listing = Listing {
        images: Vec::new(),
        other_files: 0,
        folders: Vec::new(),
    };
    for path in paths.into_iter().filter(|p| !is_hidden(p)) {
        if path.is_dir() {
            listing.folders.push(path);
        } else if is_image_file(&path) {
            listing.images.push(path);
        } else {
            listing.other_files += 1;
        }
    }
    Ok(listing)
}

/// Sorts class names: numerically if all are numbers ("2" before "10"),
/// otherwise by name.
fn sort_class_names(classes: &mut [(String, Vec<PathBuf>)]) {
    let numbers: Option<Vec<u64>> = classes.iter().map(|(n, _)| n.parse::<u64>().ok()).collect();
    if numbers.is_some() {
        classes.sort_by(|a, b| {
            let key = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
            key(&a.0).cmp(&key(&b.0)).then_with(|| a.0.cmp(&b.0))
        });
    } else {
        classes.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// Reads one image file and converts it to the models' input ([`convert_image`]).
pub fn load_image(path: &Path) -> Result<ConvertedImage, String> {
    decode(path).map(|image| convert_image(&image))
}

/// Decodes an image file (format told by content, not only by extension).
fn decode(path: &Path) -> Result<DynamicImage, String> {
    let reader = ImageReader::open(path).map_err(|e| e.to_string())?;
    let reader = reader.with_guessed_format().map_err(|e| e.to_string())?;
    let image = reader.decode().map_err(|e| e.to_string())?;
    if image.width() == 0 || image.height() == 0 {
        return Err("the image has no pixels".to_owned());
    }
    Ok(image)
}

/// Loads a folder of images as a 28×28 dataset.
///
/// If any subfolder holds images, each such subfolder is a class (its name
/// the class name; names sorted, numerically if all are numbers; at most
/// [`MAX_CLASSES`]) and images lying directly in `dir` are skipped.
/// Otherwise the images directly in `dir` load unlabelled. Images that fail to
/// decode are skipped and reported; an empty folder is [`DataError::Empty`],
/// one where nothing decodes is [`DataError::NothingDecoded`].
pub fn load_image_folder(dir: &Path) -> Result<(Dataset, SkipReport), DataError> {
    let top = list(dir)?;
    let mut report = SkipReport {
        folder: dir.to_path_buf(),
        ignored_files: top.other_files,
        ..SkipReport::default()
    };

    let mut classes: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for folder in &top.folders {
        let inner = list(folder)?;
        report.ignored_files += inner.other_files;
        report.nested_folders.extend(inner.folders.iter().cloned());
        if !inner.images.is_empty() {
            let name = folder
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            classes.push((name, inner.images));
        }
    }
    if classes.len() > MAX_CLASSES {
        return Err(DataError::TooManyClasses {
            path: dir.to_path_buf(),
            classes: classes.len(),
            max_classes: MAX_CLASSES,
        });
    }
    sort_class_names(&mut classes);

    // (file, label) in load order.
    let mut files: Vec<(PathBuf, Option<u8>)> = Vec::new();
    if classes.is_empty() {
        files.extend(top.images.into_iter().map(|p| (p, None)));
    } else {
        for loose in top.images {
            report
                .skipped
                .push((loose, "lies beside the class subfolders; put it in one".to_owned()));
        }
        for (label, (_, paths)) in classes.iter().enumerate() {
            let label = u8::try_from(label).unwrap_or(u8::MAX);
            files.extend(paths.iter().map(|p| (p.clone(), Some(label))));
        }
    }
    if files.is_empty() {
        if let Some(nested) = report.nested_folders.first() {
            return Err(DataError::OnlyNested {
                path: dir.to_path_buf(),
                nested: nested.clone(),
            });
        }
        return Err(DataError::Empty {
            path: dir.to_path_buf(),
        });
    }

    let side = IMAGE_SIDE;
    let mut pixels = Vec::with_capacity(files.len() * side * side);
    let mut labels = Vec::with_capacity(files.len());
    let mut failures = Vec::new();
    for (path, label) in files {
        match decode(&path) {
            Ok(image) => {
                let converted = convert_image(&image);
                report.inverted += usize::from(converted.inverted);
                report.resized += usize::from(converted.resized);
                *report.source_sizes.entry(converted.source_size).or_insert(0) += 1;
                pixels.extend_from_slice(&converted.pixels);
                if let Some(label) = label {
                    labels.push(label);
                }
                report.loaded += 1;
            }
            Err(reason) => failures.push((path, reason)),
        }
    }
    if report.loaded == 0 {
        let failed = failures.len();
        let (first_file, first_error) = failures.into_iter().next().unwrap_or_default();
        return Err(DataError::NothingDecoded {
            path: dir.to_path_buf(),
            failed,
            first_file,
            first_error,
        });
    }
    report.skipped.extend(failures);
    report.skipped.sort();
    report.mixed_sizes = report.source_sizes.len() > 1;
    report.classes = classes.len();

    let folder_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let dataset = Dataset {
        name: format!(
            "{folder_name} (image folder, {} image{})",
            format_count(report.loaded as u64),
            plural(report.loaded)
        ),
        source: dir.display().to_string(),
        width: side,
        height: side,
        pixels,
        labels: (!classes.is_empty()).then_some(labels),
        class_names: classes.into_iter().map(|(name, _)| name).collect(),
    };
    Ok((dataset, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_image_is_fitted_and_centred() {
        // 56×28, dark, with a bright 2-pixel-wide column in the middle.
        let image = GrayImage::from_fn(56, 28, |x, _| Luma([if x == 27 || x == 28 { 255 } else { 0 }]));
        let converted = convert_image(&DynamicImage::ImageLuma8(image));
        assert!(converted.resized && !converted.inverted);
        assert_eq!(converted.pixels.len(), 28 * 28);
        // Scaled to 28×14, centred vertically: rows 0..7 and 21..28 are background.
        assert_eq!(converted.pixels[0], 0);
        assert!(converted.pixels[14 * 28 + 13] > 60 || converted.pixels[14 * 28 + 14] > 60);
    }

    #[test]
    fn transparent_dark_ink_becomes_light_on_dark() {
        // Black ink on a transparent background (alpha 0 where there is no ink).
        let image = image::RgbaImage::from_fn(28, 28, |x, _| {
            if x == 14 {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let converted = convert_image(&DynamicImage::ImageRgba8(image));
        assert!(converted.inverted);
        assert_eq!(converted.pixels[14], 255);
        assert_eq!(converted.pixels[0], 0);
    }

    #[test]
    fn class_names_sort_numerically() {
        let mut classes: Vec<(String, Vec<PathBuf>)> =
            ["10", "2", "1"].iter().map(|n| ((*n).to_owned(), Vec::new())).collect();
        sort_class_names(&mut classes);
        let names: Vec<&str> = classes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["1", "2", "10"]);
    }
}
