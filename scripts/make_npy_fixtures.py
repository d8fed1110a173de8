#!/usr/bin/python3
"""Writes the NumPy reference files that tests/io/npy_test.cpp and
tests/io/npz_test.cpp read, into tests/data/npy/, and the seed corpus of
fuzz/fuzz_npy.cpp into fuzz/corpus/npy/. Needs only numpy (Debian's
python3-numpy); run from anywhere with /usr/bin/python3.

Every value is a simple formula of its index, so the tests assert them
independently of this script:
  f32_2x3        (arange(6) - 2) / 4                  float32, shape (2, 3)
  f64_4          arange(4) / 8 + 1                    float64, shape (4,)
  u8_2x3         arange(6) * 50 + 3  (3 .. 253)       uint8,   shape (2, 3)
  i32_2x2x2      (arange(8) - 4) * 1000               int32,   shape (2, 2, 2)
  i64_5          (arange(5) - 2) * 2**40              int64,   shape (5,)
  scalar_f64     float64(2.5)                         float64, shape ()
  empty_f32_0x3  no elements                          float32, shape (0, 3)
  f32_v2, f32_v3 f32_2x3 with a version 2.0 / 3.0 header
and the unsupported: big_endian_f4 ('>f4'), fortran_f32_2x3 (fortran_order
True), object (dtype '|O'), bool ('|b1').
Archives: savez.npz / savez_compressed.npz hold, in this order,
  a = f32_2x3, conv2d/kernel = i32_2x2x2, b = i64_5;
savez_empty.npz holds nothing; with_text.npz holds a.npy and notes.txt;
big_endian_member.npz holds ok = f32_2x3 and conv2d/kernel = arange(6) as '>f4'.
"""
import os
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "npy")
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "npy")


def path(name):
    return os.path.join(DATA, name)


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)

    f32_2x3 = ((np.arange(6) - 2) / 4).astype("<f4").reshape(2, 3)
    i32_2x2x2 = ((np.arange(8) - 4) * 1000).astype("<i4").reshape(2, 2, 2)
    i64_5 = ((np.arange(5) - 2) * 2**40).astype("<i8")
    arrays = {
        "f32_2x3": f32_2x3,
        "f64_4": (np.arange(4) / 8 + 1).astype("<f8"),
        "u8_2x3": (np.arange(6) * 50 + 3).astype("u1").reshape(2, 3),
        "i32_2x2x2": i32_2x2x2,
        "i64_5": i64_5,
        "scalar_f64": np.array(2.5, dtype="<f8"),
        "empty_f32_0x3": np.zeros((0, 3), dtype="<f4"),
        "big_endian_f4": np.arange(6, dtype=">f4"),
        "fortran_f32_2x3": np.asfortranarray(f32_2x3),
        "bool": np.array([True, False]),
    }
    for name, a in arrays.items():
        np.save(path(name + ".npy"), a)
    np.save(path("object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
    for version in (2, 3):
        with open(path(f"f32_v{version}.npy"), "wb") as f:
            np.lib.format.write_array(f, f32_2x3, version=(version, 0))

    members = {"a": f32_2x3, "conv2d/kernel": i32_2x2x2, "b": i64_5}
    np.savez(path("savez.npz"), **members)
    np.savez_compressed(path("savez_compressed.npz"), **members)
    np.savez(path("savez_empty.npz"))
    np.savez(path("big_endian_member.npz"), ok=f32_2x3,
             **{"conv2d/kernel": np.arange(6, dtype=">f4")})
    with zipfile.ZipFile(path("with_text.npz"), "w") as z:
        with z.open("a.npy", "w") as f:
            np.lib.format.write_array(f, f32_2x3)
        # A ZipInfo keeps the 1980 date NumPy uses, so reruns give the same bytes.
        z.writestr(zipfile.ZipInfo("notes.txt"), "not an array\n")

    # Check what was written the way NumPy reads it back.
    assert np.load(path("fortran_f32_2x3.npy")).flags.f_contiguous
    with np.load(path("savez_compressed.npz")) as z:
        assert list(z.keys()) == list(members)
        assert z.zip.getinfo("a.npy").compress_type == zipfile.ZIP_DEFLATED
    with np.load(path("savez.npz")) as z:
        assert z.zip.getinfo("a.npy").compress_type == zipfile.ZIP_STORED

    # Fuzz seeds: the first byte picks the reader (even: .npy, odd: .npz).
    seeds = {"f32_2x3.npy": 0, "u8_2x3.npy": 0, "scalar_f64.npy": 0, "f32_v2.npy": 0,
             "savez.npz": 1, "savez_compressed.npz": 1}
    for name, selector in seeds.items():
        with open(path(name), "rb") as f:
            data = f.read()
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(bytes([selector]) + data)


if __name__ == "__main__":
    main()
