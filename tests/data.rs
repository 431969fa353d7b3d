//! Integration tests: data — the IDX reader and writer and their errors, the
//! embedded MNIST digits, IDX folders, image folders, and `load_folder`.

use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};
use latent_lab::data::idx::{
    encode_idx_images, encode_idx_labels, gzip_bytes, load_idx_files, load_idx_folder, parse_idx_images,
    read_idx_images, read_idx_labels, write_idx_images, write_idx_labels,
};
use latent_lab::data::image_folder::load_image_folder;
use latent_lab::data::{DataError, embedded_mnist, load_folder};

/// `count` images of `height`×`width` with distinct, position-dependent pixels.
fn sample_pixels(count: usize, width: usize, height: usize) -> Vec<u8> {
    (0..count * width * height).map(|i| (i * 7 % 256) as u8).collect()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write test file");
}

/// Asserts the error's message names the file.
fn assert_names(err: &DataError, file_name: &str) {
    let message = err.to_string();
    assert!(
        message.contains(file_name),
        "message {message:?} should name {file_name}"
    );
}

#[test]
fn idx_round_trip_raw_and_gzip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (width, height) = (5, 3);
    let pixels = sample_pixels(11, width, height);
    let labels: Vec<u8> = (0..11).map(|i| (i * 37 % 256) as u8).collect();
    for gzip in [false, true] {
        let images_path = dir.path().join(format!("images-{gzip}"));
        let labels_path = dir.path().join(format!("labels-{gzip}"));
        write_idx_images(&images_path, width, height, &pixels, gzip).unwrap();
        write_idx_labels(&labels_path, &labels, gzip).unwrap();
        let stored = std::fs::read(&images_path).unwrap();
        assert_eq!(
            stored.starts_with(&[0x1f, 0x8b]),
            gzip,
            "gzip flag must decide the format"
        );
        if !gzip {
            assert_eq!(stored, encode_idx_images(width, height, &pixels).unwrap());
        }
        let images = read_idx_images(&images_path).unwrap();
        assert_eq!((images.count, images.width, images.height), (11, width, height));
        assert_eq!(images.pixels, pixels);
        assert_eq!(read_idx_labels(&labels_path).unwrap(), labels);
    }
}

#[test]
fn idx_bad_magic_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let labels_path = dir.path().join("labels-as-images");
    write_idx_labels(&labels_path, &[1, 2, 3], false).unwrap();
    let err = read_idx_images(&labels_path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::BadMagic {
                found: 0x801,
                expected: 0x803,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, "labels-as-images");
    let message = err.to_string();
    assert!(
        message.contains("0x00000801") && message.contains("0x00000803"),
        "{message}"
    );
    assert!(message.contains("label file"), "{message}");

    // A non-u8 data type (f32 images).
    let mut floats = encode_idx_images(2, 2, &[0; 4]).unwrap();
    floats[2] = 0x0d;
    let float_path = dir.path().join("floats-idx3-ubyte");
    write(&float_path, &floats);
    let err = read_idx_images(&float_path).unwrap_err();
    assert!(matches!(err, DataError::BadMagic { found: 0x0d03, .. }), "{err:?}");
    assert_names(&err, "floats-idx3-ubyte");
    assert!(err.to_string().contains("32-bit floats"), "{err}");
}

#[test]
fn idx_wrong_dimensions_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Zero-width images.
    let mut zero_width = encode_idx_images(2, 2, &[0; 8]).unwrap();
    zero_width[12..16].copy_from_slice(&0u32.to_be_bytes());
    let path = dir.path().join("zero-width");
    write(&path, &zero_width);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    assert_names(&err, "zero-width");

    // An image magic with 2 dimensions: images need 3.
    let mut two_dims = Vec::new();
    two_dims.extend_from_slice(&0x0000_0802u32.to_be_bytes());
    two_dims.extend_from_slice(&2u32.to_be_bytes());
    two_dims.extend_from_slice(&4u32.to_be_bytes());
    two_dims.extend_from_slice(&[0; 8]);
    let path = dir.path().join("two-dims");
    write(&path, &two_dims);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    assert_names(&err, "two-dims");
    assert!(err.to_string().contains("needs 3 dimensions"), "{err}");

    // A label file with 2 dimensions.
    let path = dir.path().join("labels-2d");
    write(&path, &two_dims);
    let err = read_idx_labels(&path).unwrap_err();
    assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    assert_names(&err, "labels-2d");

    // Sizes whose product overflows are a dimension error too.
    let mut huge = encode_idx_images(2, 2, &[0; 8]).unwrap();
    huge[4..16].copy_from_slice(&[0xff; 12]);
    let path = dir.path().join("huge-dims");
    write(&path, &huge);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::BadDimensions { .. }), "{err:?}");
    assert_names(&err, "huge-dims");
}

#[test]
fn idx_count_mismatch_is_reported_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let valid = encode_idx_images(4, 4, &sample_pixels(5, 4, 4)).unwrap();
    // Header says 7 images, the data holds 5.
    let mut more = valid.clone();
    more[4..8].copy_from_slice(&7u32.to_be_bytes());
    let path = dir.path().join("says-more");
    write(&path, &more);
    let err = read_idx_images(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                header_count: 7,
                found_count: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, "says-more");
    // Header says 3 images, the data holds 5.
    let mut less = valid;
    less[4..8].copy_from_slice(&3u32.to_be_bytes());
    let path = dir.path().join("says-less");
    write(&path, &less);
    let err = read_idx_images(&path).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::CountMismatch {
                header_count: 3,
                found_count: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, "says-less");
}

#[test]
fn idx_truncated_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Noisy pixels so the compressed stream is long enough to cut in the middle.
    let pixels: Vec<u8> = (0..200 * 28 * 28u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let gz = gzip_bytes(&encode_idx_images(28, 28, &pixels).unwrap());
    let path = dir.path().join("cut-images-idx3-ubyte.gz");
    write(&path, &gz[..gz.len() / 2]);
    let err = read_idx_images(&path).unwrap_err();
    let DataError::TruncatedGzip { yielded_bytes, .. } = &err else {
        panic!("expected TruncatedGzip, got {err:?}");
    };
    assert!(*yielded_bytes > 0 && *yielded_bytes < 16 + 200 * 28 * 28);
    assert_names(&err, "cut-images-idx3-ubyte.gz");
    let message = err.to_string();
    assert!(message.contains("200 images of 28×28"), "{message}");
    assert!(message.contains("gzip stream ends after"), "{message}");

    // Cutting only the gzip trailer (CRC and size) is caught too.
    write(&path, &gz[..gz.len() - 4]);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::TruncatedGzip { .. }), "{err:?}");
}

#[test]
fn idx_truncated_raw_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let raw = encode_idx_images(28, 28, &sample_pixels(10, 28, 28)).unwrap();
    let path = dir.path().join("cut-raw");
    // Ends in the middle of the 8th image.
    write(&path, &raw[..16 + 7 * 784 + 100]);
    let err = read_idx_images(&path).unwrap_err();
    assert!(
        matches!(err, DataError::Truncated { found_bytes, expected_bytes, .. }
            if found_bytes == (16 + 7 * 784 + 100) as u64 && expected_bytes == raw.len() as u64),
        "{err:?}"
    );
    assert_names(&err, "cut-raw");
    assert!(err.to_string().contains("10 images of 28×28"), "{err}");

    // A file cut inside the header.
    write(&path, &raw[..10]);
    let err = read_idx_images(&path).unwrap_err();
    assert!(matches!(err, DataError::Truncated { found_bytes: 10, .. }), "{err:?}");
}

#[test]
fn idx_trailing_garbage_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = encode_idx_images(4, 4, &sample_pixels(3, 4, 4)).unwrap();
    raw.extend_from_slice(b"garbage");
    for gzip in [false, true] {
        let path = dir.path().join(format!("trailing-{gzip}"));
        write(&path, &if gzip { gzip_bytes(&raw) } else { raw.clone() });
        let err = read_idx_images(&path).unwrap_err();
        assert!(matches!(err, DataError::TrailingData { extra_bytes: 7, .. }), "{err:?}");
        assert_names(&err, &format!("trailing-{gzip}"));
    }
}

#[test]
fn idx_label_image_count_mismatch_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("train-images-idx3-ubyte");
    let labels = dir.path().join("train-labels-idx1-ubyte");
    write_idx_images(&images, 4, 4, &sample_pixels(5, 4, 4), false).unwrap();
    write_idx_labels(&labels, &[0, 1, 2, 3], false).unwrap();
    for err in [
        load_idx_files(&images, Some(&labels)).unwrap_err(),
        load_idx_folder(dir.path()).unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                DataError::LabelCountMismatch {
                    image_count: 5,
                    label_count: 4,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_names(&err, "train-images-idx3-ubyte");
        assert_names(&err, "train-labels-idx1-ubyte");
    }
}

#[test]
fn embedded_mnist_is_the_promised_10000_digits() {
    let mnist = embedded_mnist().unwrap();
    assert_eq!(mnist.name, "MNIST (embedded, 10,000 digits)");
    assert_eq!(mnist.source, "embedded");
    assert_eq!((mnist.width, mnist.height), (28, 28));
    assert_eq!(mnist.len(), 10_000);
    assert_eq!(mnist.pixels.len(), 10_000 * 28 * 28);
    let labels = mnist.labels.as_ref().unwrap();
    assert_eq!(labels.len(), 10_000);
    assert!(labels.iter().all(|&l| l < 10));
    assert_eq!(
        mnist.class_counts(),
        vec![1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert_eq!(mnist.pixels.iter().min(), Some(&0));
    assert_eq!(mnist.pixels.iter().max(), Some(&255));
    let mean = mnist.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / mnist.pixels.len() as f64;
    assert!((28.0..=38.0).contains(&mean), "mean pixel {mean}");
    // MNIST digits sit in the middle: the corners are background.
    assert!((0..mnist.len()).all(|i| mnist.image(i)[0] == 0));
    assert!(!latent_lab::data::embedded::EMBEDDED_ATTRIBUTION.is_empty());
}

#[test]
fn idx_folder_finds_gz_and_raw_and_concatenates_train_and_test() {
    let dir = tempfile::tempdir().unwrap();
    let train = sample_pixels(6, 28, 28);
    let test: Vec<u8> = sample_pixels(4, 28, 28).iter().map(|p| p ^ 0x55).collect();
    write_idx_images(&dir.path().join("train-images-idx3-ubyte.gz"), 28, 28, &train, true).unwrap();
    write_idx_labels(
        &dir.path().join("train-labels-idx1-ubyte.gz"),
        &[0, 1, 2, 3, 4, 5],
        true,
    )
    .unwrap();
    // The dot-variant naming, raw.
    write_idx_images(&dir.path().join("t10k-images.idx3-ubyte"), 28, 28, &test, false).unwrap();
    write_idx_labels(&dir.path().join("t10k-labels.idx1-ubyte"), &[9, 8, 7, 6], false).unwrap();
    write(&dir.path().join("readme.txt"), b"not data");

    assert!(latent_lab::data::idx::folder_has_idx(dir.path()).unwrap());
    let dataset = load_idx_folder(dir.path()).unwrap();
    assert_eq!(dataset.len(), 10);
    assert_eq!((dataset.width, dataset.height), (28, 28));
    assert_eq!(dataset.pixels[..train.len()], train[..]);
    assert_eq!(dataset.pixels[train.len()..], test[..]);
    assert_eq!(dataset.labels, Some(vec![0, 1, 2, 3, 4, 5, 9, 8, 7, 6]));

    // Images without labels load unlabelled.
    let unlabelled = tempfile::tempdir().unwrap();
    write_idx_images(
        &unlabelled.path().join("train-images-idx3-ubyte"),
        28,
        28,
        &train,
        false,
    )
    .unwrap();
    let dataset = load_idx_folder(unlabelled.path()).unwrap();
    assert_eq!((dataset.len(), dataset.labels), (6, None));

    // A folder without IDX files has none.
    let empty = tempfile::tempdir().unwrap();
    assert!(!latent_lab::data::idx::folder_has_idx(empty.path()).unwrap());
}

#[test]
fn idx_folder_transposes_emnist() {
    let dir = tempfile::tempdir().unwrap();
    // One 28×28 image with a single lit pixel at row 2, column 5, stored
    // transposed as EMNIST does (so at row 5, column 2 in the file).
    let mut stored = vec![0u8; 28 * 28];
    stored[5 * 28 + 2] = 255;
    write_idx_images(
        &dir.path().join("emnist-digits-train-images-idx3-ubyte.gz"),
        28,
        28,
        &stored,
        true,
    )
    .unwrap();
    write_idx_labels(&dir.path().join("emnist-digits-train-labels-idx1-ubyte.gz"), &[3], true).unwrap();
    let dataset = load_idx_folder(dir.path()).unwrap();
    assert_eq!(dataset.len(), 1);
    assert_eq!(
        dataset.pixels[2 * 28 + 5],
        255,
        "EMNIST images must be transposed upright"
    );
    assert_eq!(dataset.pixels[5 * 28 + 2], 0);
    assert_eq!(dataset.labels, Some(vec![3]));
    assert!(dataset.class_names.is_empty(), "no mapping file, no names");

    // EMNIST's mapping file names the classes (Letters: upper and lower case).
    write(&dir.path().join("emnist-digits-mapping.txt"), b"1 65 97\n3 67 99\n");
    let dataset = load_idx_folder(dir.path()).unwrap();
    assert_eq!(dataset.class_names, vec!["0", "A/a", "2", "C/c"]);

    // The same file under an MNIST name is not transposed.
    let plain = tempfile::tempdir().unwrap();
    write_idx_images(&plain.path().join("train-images-idx3-ubyte"), 28, 28, &stored, false).unwrap();
    assert_eq!(load_idx_folder(plain.path()).unwrap().pixels, stored);
}

/// A 28×28 dark image with a light vertical bar at column `x`.
fn bar_image(x: u32, size: (u32, u32)) -> GrayImage {
    GrayImage::from_fn(size.0, size.1, |px, _| Luma([if px == x { 250 } else { 5 }]))
}

#[test]
fn image_folder_classes_become_labels() {
    let dir = tempfile::tempdir().unwrap();
    for (class, count) in [("cat", 2), ("ant", 1), ("bee", 3)] {
        let class_dir = dir.path().join(class);
        std::fs::create_dir(&class_dir).unwrap();
        for i in 0..count {
            bar_image(i + 3, (28, 28))
                .save(class_dir.join(format!("{i}.PNG")))
                .unwrap();
        }
    }
    write(&dir.path().join("cat").join("notes.txt"), b"ignored");
    let (dataset, report) = load_image_folder(dir.path()).unwrap();
    assert_eq!(dataset.class_names, vec!["ant", "bee", "cat"]);
    assert_eq!(dataset.labels, Some(vec![0, 1, 1, 1, 2, 2]));
    assert_eq!((dataset.width, dataset.height, dataset.len()), (28, 28, 6));
    assert_eq!((report.loaded, report.classes, report.ignored_files), (6, 3, 1));
    assert!(report.skipped.is_empty() && !report.mixed_sizes);
    assert_eq!((report.resized, report.inverted), (0, 0));
    // Exactly 28×28 dark images pass through unchanged.
    assert_eq!(dataset.image(0)[3], 250);
    assert_eq!(dataset.image(0)[4], 5);
}

#[test]
fn image_folder_skips_and_reports_corrupt_files() {
    let dir = tempfile::tempdir().unwrap();
    bar_image(10, (28, 28)).save(dir.path().join("a.png")).unwrap();
    write(&dir.path().join("b.png"), b"\x89PNG\r\n\x1a\nthis is not really a png");
    bar_image(12, (28, 28)).save(dir.path().join("c.bmp")).unwrap();
    let (dataset, report) = load_image_folder(dir.path()).unwrap();
    assert_eq!(dataset.len(), 2);
    assert_eq!(dataset.labels, None);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].0, dir.path().join("b.png"));
    assert!(report.summary().contains("b.png"), "{}", report.summary());

    // A folder where nothing decodes is an error naming the folder.
    let bad = tempfile::tempdir().unwrap();
    write(&bad.path().join("x.jpg"), b"nope");
    let err = load_image_folder(bad.path()).unwrap_err();
    assert!(matches!(err, DataError::NothingDecoded { failed: 1, .. }), "{err:?}");
    assert_names(&err, &bad.path().display().to_string());
}

/// Folders nested deeper than one class level are not read, and the loader says so: in
/// the summary when other images loaded, in the error when nothing else was there.
#[test]
fn image_folder_says_which_nested_folders_it_does_not_read() {
    let dir = tempfile::tempdir().unwrap();
    for class in ["0", "1"] {
        std::fs::create_dir_all(dir.path().join(class)).unwrap();
        bar_image(10, (28, 28))
            .save(dir.path().join(class).join("a.png"))
            .unwrap();
    }
    std::fs::create_dir_all(dir.path().join("1").join("more")).unwrap();
    bar_image(12, (28, 28))
        .save(dir.path().join("1").join("more").join("b.png"))
        .unwrap();
    let (dataset, report) = load_image_folder(dir.path()).unwrap();
    assert_eq!(dataset.len(), 2);
    let summary = report.summary();
    assert!(summary.contains("more") && summary.contains("deeper"), "{summary}");

    // Only nested images: the error says where they are and what is read.
    let deep = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(deep.path().join("a").join("b")).unwrap();
    bar_image(10, (28, 28))
        .save(deep.path().join("a").join("b").join("x.png"))
        .unwrap();
    let err = load_image_folder(deep.path()).unwrap_err().to_string();
    assert!(
        err.contains("one level of class subfolders") && err.contains("b"),
        "{err}"
    );
}

#[test]
fn image_folder_resizes_mixed_sizes() {
    let dir = tempfile::tempdir().unwrap();
    bar_image(14, (28, 28)).save(dir.path().join("small.png")).unwrap();
    bar_image(40, (80, 56)).save(dir.path().join("wide.png")).unwrap();
    bar_image(3, (10, 10)).save(dir.path().join("tiny.jpg")).unwrap();
    let (dataset, report) = load_image_folder(dir.path()).unwrap();
    assert_eq!((dataset.width, dataset.height, dataset.len()), (28, 28, 3));
    assert_eq!(dataset.pixels.len(), 3 * 28 * 28);
    assert!(report.mixed_sizes);
    assert_eq!(report.resized, 2);
    assert_eq!(report.source_sizes.len(), 3);
    assert_eq!(report.source_sizes.get(&(80, 56)), Some(&1));
    let summary = report.summary();
    assert!(
        summary.contains("80×56") && summary.contains("Resized 2 images"),
        "{summary}"
    );
}

#[test]
fn image_folder_empty_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_image_folder(dir.path()).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }), "{err:?}");
    assert_names(&err, &dir.path().display().to_string());
    // Only non-image files: still empty.
    write(&dir.path().join("notes.txt"), b"hello");
    assert!(matches!(load_image_folder(dir.path()), Err(DataError::Empty { .. })));
}

#[test]
fn image_folder_inverts_light_backgrounds() {
    let dir = tempfile::tempdir().unwrap();
    // Dark ink on white paper.
    let paper = GrayImage::from_fn(28, 28, |x, _| Luma([if x == 14 { 0 } else { 255 }]));
    paper.save(dir.path().join("paper.png")).unwrap();
    bar_image(14, (28, 28)).save(dir.path().join("screen.png")).unwrap();
    let (dataset, report) = load_image_folder(dir.path()).unwrap();
    assert_eq!(report.inverted, 1);
    assert!(report.summary().contains("Inverted 1 image"), "{}", report.summary());
    let inverted = dataset.image(0); // paper.png sorts first
    assert_eq!((inverted[0], inverted[14]), (0, 255));
    let untouched = dataset.image(1);
    assert_eq!((untouched[0], untouched[14]), (5, 250));
}

#[test]
fn load_folder_dispatches_on_content() {
    let idx_dir = tempfile::tempdir().unwrap();
    write_idx_images(
        &idx_dir.path().join("train-images-idx3-ubyte"),
        28,
        28,
        &[7; 2 * 784],
        false,
    )
    .unwrap();
    let dataset = load_folder(idx_dir.path()).unwrap();
    assert!(dataset.name.contains("IDX"), "{}", dataset.name);
    assert_eq!((dataset.len(), dataset.pixels[0]), (2, 7));

    let image_dir = tempfile::tempdir().unwrap();
    bar_image(14, (28, 28)).save(image_dir.path().join("one.png")).unwrap();
    let dataset = load_folder(image_dir.path()).unwrap();
    assert!(dataset.name.contains("image folder"), "{}", dataset.name);
    assert_eq!(dataset.len(), 1);

    let missing = PathBuf::from("/definitely/not/a/folder");
    assert!(matches!(load_folder(&missing), Err(DataError::Io { .. })));
}

#[test]
fn parse_accepts_bytes_raw_or_gzip() {
    let raw = encode_idx_images(3, 2, &sample_pixels(4, 3, 2)).unwrap();
    let from_raw = parse_idx_images(&raw, Path::new("raw")).unwrap();
    let from_gz = parse_idx_images(&gzip_bytes(&raw), Path::new("gz")).unwrap();
    assert_eq!(from_raw, from_gz);
    assert_eq!(encode_idx_labels(&[1, 2]).unwrap(), vec![0, 0, 8, 1, 0, 0, 0, 2, 1, 2]);
}
