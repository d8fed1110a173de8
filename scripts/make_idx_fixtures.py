#!/usr/bin/python3
"""Writes the gzip-compressed IDX files that tests/io/idx_test.cpp reads, into
tests/data/idx/, and the seed corpus of fuzz/fuzz_idx.cpp into
fuzz/corpus/idx/. Needs only numpy (Debian's python3-numpy); run from
anywhere with /usr/bin/python3. gzip members carry mtime 0 and no file name,
so the output is the same on every run.

IDX: 00 00 TYPE RANK, RANK big-endian uint32 dims, big-endian C-order data.
The values are formulas the tests assert independently of this script:
  u8_2x3.idx.gz               uint8 (2, 3): arange(6) * 50 + 3 (3, 53, ..., 253)
  i16_4_two_members.idx.gz    int16 (4,): -32768, -1, 258, 32767; the header is
                              one gzip member and the data a second (cat a.gz b.gz)
  zeros_u8_4096.idx.gz        uint8 (4096,) of zeros: 4104 bytes once decompressed
The fuzz corpus adds small plain files of every IDX type.
"""
import gzip
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "idx")
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "idx")

CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_header(array):
    code = CODES[array.dtype.str[1:]]
    return bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()


def idx_data(array):
    return array.astype(array.dtype.newbyteorder(">")).tobytes()


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)
    u8 = (np.arange(6) * 50 + 3).astype(np.uint8).reshape(2, 3)
    i16 = np.array([-32768, -1, 258, 32767], np.int16)
    zeros = np.zeros(4096, np.uint8)
    gzipped = {
        "u8_2x3.idx.gz": gz(idx_header(u8) + idx_data(u8)),
        "i16_4_two_members.idx.gz": gz(idx_header(i16)) + gz(idx_data(i16)),
        "zeros_u8_4096.idx.gz": gz(idx_header(zeros) + idx_data(zeros)),
    }
    for name, data in gzipped.items():
        write(DATA, name, data)
        write(CORPUS, name, data)
    plain = {
        "u8_2x3.idx": u8,
        "i8_3.idx": np.array([-128, 0, 127], np.int8),
        "i16_4.idx": i16,
        "i32_2x2.idx": np.array([[-(2**31), -1], [1, 2**31 - 1]], np.int32),
        "f32_3.idx": np.array([1.5, -0.25, np.inf], np.float32),
        "f64_1x1x2.idx": np.array([[[np.pi, -2.0]]], np.float64),
        "scalar_u8.idx": np.array(7, np.uint8),
        "empty_f32_0x5.idx": np.zeros((0, 5), np.float32),
    }
    for name, array in plain.items():
        write(CORPUS, name, idx_header(array) + idx_data(array))


if __name__ == "__main__":
    main()
