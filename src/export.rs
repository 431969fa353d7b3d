//! Turning generated images into files: grids, PNGs, animated GIFs.
//!
//! Images are 8-bit grayscale, 0 = black background, 255 = white ink, as the
//! datasets and generators produce them.

use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};

/// What can go wrong writing an image file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The file could not be written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The encoder failed.
    #[error("{path}: cannot encode: {source}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// The encoder's error.
        source: image::ImageError,
    },
    /// Nothing to write.
    #[error("{path}: nothing to export")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// One `side`×`side` image from a slice of `side * side` pixels.
pub fn to_image(pixels: &[u8], side: usize) -> GrayImage {
    let side = side as u32;
    GrayImage::from_fn(side, side, |x, y| {
        Luma([pixels.get((y * side + x) as usize).copied().unwrap_or(0)])
    })
}

/// Columns of the square grid of `n` images (8 for 64, 10 for a conditional model's 100).
pub fn grid_cols(n: usize) -> usize {
    (1..=n.max(1)).find(|c| c * c >= n).unwrap_or(1)
}

/// `pixels` (images of `side`×`side`) laid out as a square grid ([`grid_cols`] columns).
pub fn square_grid(pixels: &[u8], side: usize, pad: usize) -> image::GrayImage {
    grid(pixels, side, grid_cols(pixels.len() / (side * side).max(1)), pad)
}

/// Lays `images` (each `side * side` pixels, one after the other) out in rows of
/// `cols`, with `pad` pixels of mid-gray between them.
pub fn grid(images: &[u8], side: usize, cols: usize, pad: usize) -> GrayImage {
    let per = side * side;
    let n = images.len().checked_div(per).unwrap_or(0);
    let cols = cols.max(1).min(n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let w = cols * side + (cols + 1) * pad;
    let h = rows * side + (rows + 1) * pad;
    let mut out = GrayImage::from_pixel(w as u32, h as u32, Luma([64]));
    for i in 0..n {
        let (r, c) = (i / cols, i % cols);
        let (x0, y0) = (pad + c * (side + pad), pad + r * (side + pad));
        for y in 0..side {
            for x in 0..side {
                out.put_pixel((x0 + x) as u32, (y0 + y) as u32, Luma([images[i * per + y * side + x]]));
            }
        }
    }
    out
}

/// Enlarges an image by an integer factor with nearest-neighbour sampling (crisp pixels).
pub fn upscale(img: &GrayImage, factor: u32) -> GrayImage {
    let f = factor.max(1);
    GrayImage::from_fn(img.width() * f, img.height() * f, |x, y| *img.get_pixel(x / f, y / f))
}

/// Writes a grayscale PNG.
pub fn save_png(img: &GrayImage, path: &Path) -> Result<(), ExportError> {
    img.save_with_format(path, image::ImageFormat::Png)
        .map_err(|source| match source {
            image::ImageError::IoError(source) => ExportError::Io {
                path: path.to_path_buf(),
                source,
            },
            source => ExportError::Encode {
                path: path.to_path_buf(),
                source,
            },
        })
}

/// Writes an endlessly looping animated GIF, `delay_ms` per frame.
pub fn save_gif(frames: &[GrayImage], delay_ms: u32, path: &Path) -> Result<(), ExportError> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, RgbaImage};
    if frames.is_empty() {
        return Err(ExportError::Empty {
            path: path.to_path_buf(),
        });
    }
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let enc = |source| ExportError::Encode {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut encoder = GifEncoder::new_with_speed(std::io::BufWriter::new(file), 10);
    encoder.set_repeat(Repeat::Infinite).map_err(enc)?;
    for f in frames {
        let rgba = RgbaImage::from_fn(f.width(), f.height(), |x, y| {
            let v = f.get_pixel(x, y).0[0];
            image::Rgba([v, v, v, 255])
        });
        let frame = Frame::from_parts(rgba, 0, 0, Delay::from_numer_denom_ms(delay_ms, 1));
        encoder.encode_frame(frame).map_err(enc)?;
    }
    Ok(())
}

/// Writes interpolation paths as strips one under the other (`frames` images of
/// 28×28 per path, 784 bytes each), enlarged 4×.
pub fn save_strips_png(paths: &[&[u8]], path: &Path) -> Result<(), ExportError> {
    let frames = paths.first().map_or(0, |p| p.len() / 784).max(1);
    let all: Vec<u8> = paths.iter().flat_map(|p| p.iter().copied()).collect();
    save_png(&upscale(&grid(&all, 28, frames, 2), 4), path)
}

/// Writes 28×28 frames (784 bytes each) as a looping GIF that goes there and back
/// (0, 1, …, n−1, n−2, …, 1), enlarged `scale`×, `delay_ms` per frame.
pub fn save_ping_pong_gif(images: &[u8], scale: u32, delay_ms: u32, path: &Path) -> Result<(), ExportError> {
    let n = images.len() / 784;
    let order: Vec<usize> = (0..n).chain((1..n.saturating_sub(1)).rev()).collect();
    let frames: Vec<GrayImage> = order
        .into_iter()
        .map(|i| upscale(&to_image(&images[i * 784..(i + 1) * 784], 28), scale))
        .collect();
    save_gif(&frames, delay_ms, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_images_in_rows() {
        // Three 2×2 images with values 10, 20, 30 in two columns, pad 1.
        let imgs: Vec<u8> = [10u8, 20, 30].iter().flat_map(|&v| [v; 4]).collect();
        let g = grid(&imgs, 2, 2, 1);
        assert_eq!((g.width(), g.height()), (7, 7));
        assert_eq!(g.get_pixel(1, 1).0[0], 10);
        assert_eq!(g.get_pixel(4, 1).0[0], 20);
        assert_eq!(g.get_pixel(1, 4).0[0], 30);
        assert_eq!(g.get_pixel(0, 0).0[0], 64);
    }

    #[test]
    fn upscale_repeats_pixels() {
        let img = to_image(&[0, 255, 128, 7], 2);
        let big = upscale(&img, 3);
        assert_eq!(big.width(), 6);
        assert_eq!(big.get_pixel(5, 0).0[0], 255);
        assert_eq!(big.get_pixel(2, 5).0[0], 128);
    }
}
