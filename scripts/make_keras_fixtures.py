#!/usr/bin/python3
"""Writes Keras-layout model and weight files into tests/data/keras/, following
the reference (/work/shared/reference/keras-semantics.md, section 6) with
Debian's python3-h5py and python3-numpy only (no Keras), and the seed corpus
of fuzz/fuzz_keras_archive.cpp into fuzz/corpus/keras_archive/. Run with
/usr/bin/python3 from anywhere; the output is the same every run.

Two models, each also written as Keras lines (.txt) + a .npz of the same
weights (arrays "<layer>/<weight>") + an input batch (.npy), so the tests can
compare `stride predict` through both paths:

  k2  input (8, 8, 1): Conv2D(4, 3, relu) -> BatchNormalization ->
      MaxPooling2D(2) -> DepthwiseConv2D(3, same, depth_multiplier=2) ->
      Flatten -> Dropout(0.5) -> Dense(5, softmax)
      k2_model.h5       Keras 2 legacy model.save(): attributes keras_version,
                        backend, model_config (legacy JSON, sect. 6.1); group
                        model_weights with layer_names, per-layer weight_names
                        "conv2d/kernel:0", datasets <layer>/<layer>/<w>:0 and
                        top_level_model_weights
      k2_weights.h5     Keras 2 model.save_weights(): the same weights group
                        at the root
      k3_legacy.h5      the legacy .h5 as Keras 3 writes it: weight_names
                        without ":0", variable-length string attributes
  k3  input (6, 6, 2): Conv2D(3, 3, same) -> Conv2DTranspose(2, 3, strides=2)
      -> SeparableConv2D(4, 3, relu) -> Conv2D(2, 1) -> MaxPooling2D(2) ->
      BatchNormalization -> Flatten -> Dropout(0.25) -> Dense(3)
      k3_model.keras    zip of metadata.json, config.json (Keras 3 JSON,
                        sect. 6.2, DTypePolicy dtypes) and model.weights.h5
                        (layers/<snake_case class>[_n]/vars/<i>, sect. 6.3)
      k3_model.weights.h5  the same weights file on its own

Broken files for the error tests:
  k3_no_weights.keras   no model.weights.h5 member
  k3_no_config.keras    no config.json member
  k3_text_weights.keras model.weights.h5 is text, not HDF5
  k3_lstm.keras         config.json has an LSTM layer (at a known position)
  k2_bad_shape.h5       dense/kernel:0 stored transposed, (5, 72)
  k2_bad_dtype.h5       dense/kernel:0 stored as int32
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "keras")
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "keras_archive")
DATE = (1980, 1, 1, 0, 0, 0)


# ---- Models -----------------------------------------------------------------

def glorot():
    return {"class_name": "GlorotUniform", "config": {"seed": None}}


def zeros():
    return {"class_name": "Zeros", "config": {}}


def ones():
    return {"class_name": "Ones", "config": {}}


def conv_config(name, filters, kernel, strides=(1, 1), padding="valid", activation="linear"):
    return {"name": name, "trainable": True, "dtype": "float32", "filters": filters,
            "kernel_size": list(kernel), "strides": list(strides), "padding": padding,
            "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
            "activation": activation, "use_bias": True, "kernel_initializer": glorot(),
            "bias_initializer": zeros(), "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


def bn_config(name, axis):
    return {"name": name, "trainable": True, "dtype": "float32", "axis": axis,
            "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
            "beta_initializer": zeros(), "gamma_initializer": ones(),
            "moving_mean_initializer": zeros(), "moving_variance_initializer": ones(),
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None}


def pool_config(name):
    return {"name": name, "trainable": True, "dtype": "float32", "pool_size": [2, 2],
            "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}


def depthwise_config(name):
    return {"name": name, "trainable": True, "dtype": "float32", "kernel_size": [3, 3],
            "strides": [1, 1], "padding": "same", "data_format": "channels_last",
            "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": True,
            "bias_initializer": zeros(), "bias_regularizer": None,
            "activity_regularizer": None, "bias_constraint": None, "depth_multiplier": 2,
            "depthwise_initializer": glorot(), "depthwise_regularizer": None,
            "depthwise_constraint": None}


def separable_config(name):
    config = conv_config(name, 4, (3, 3), activation="relu")
    for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint", "groups"):
        del config[key]
    config.update({"depth_multiplier": 1, "depthwise_initializer": glorot(),
                   "pointwise_initializer": glorot(), "depthwise_regularizer": None,
                   "pointwise_regularizer": None, "depthwise_constraint": None,
                   "pointwise_constraint": None})
    return config


def transpose_config(name):
    config = conv_config(name, 2, (3, 3), strides=(2, 2))
    del config["groups"]
    config["output_padding"] = None
    return config


def flatten_config(name):
    return {"name": name, "trainable": True, "dtype": "float32", "data_format": "channels_last"}


def dropout_config(name, rate):
    return {"name": name, "trainable": True, "dtype": "float32", "rate": rate,
            "noise_shape": None, "seed": None}


def dense_config(name, units, activation):
    return {"name": name, "trainable": True, "dtype": "float32", "units": units,
            "activation": activation, "use_bias": True, "kernel_initializer": glorot(),
            "bias_initializer": zeros(), "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


# (class, config, [(weight name, shape, trainable)], Keras line) per layer.
K2_INPUT = (8, 8, 1)
K2_LAYERS = [
    ("Conv2D", conv_config("conv2d", 4, (3, 3), activation="relu"),
     [("kernel", (3, 3, 1, 4)), ("bias", (4,))],
     "layers.Conv2D(4, 3, activation='relu')"),
    ("BatchNormalization", bn_config("batch_normalization", [3]),
     [("gamma", (4,)), ("beta", (4,)), ("moving_mean", (4,)), ("moving_variance", (4,))],
     "layers.BatchNormalization()"),
    ("MaxPooling2D", pool_config("max_pooling2d"), [], "layers.MaxPooling2D(2)"),
    ("DepthwiseConv2D", depthwise_config("depthwise_conv2d"),
     [("depthwise_kernel", (3, 3, 4, 2)), ("bias", (8,))],
     "layers.DepthwiseConv2D(3, padding='same', depth_multiplier=2)"),
    ("Flatten", flatten_config("flatten"), [], "layers.Flatten()"),
    ("Dropout", dropout_config("dropout", 0.5), [], "layers.Dropout(0.5)"),
    ("Dense", dense_config("dense", 5, "softmax"), [("kernel", (72, 5)), ("bias", (5,))],
     "layers.Dense(5, activation='softmax')"),
]

K3_INPUT = (6, 6, 2)
K3_LAYERS = [
    ("Conv2D", conv_config("conv2d", 3, (3, 3), padding="same"),
     [("kernel", (3, 3, 2, 3)), ("bias", (3,))],
     "layers.Conv2D(3, 3, padding='same')"),
    ("Conv2DTranspose", transpose_config("conv2d_transpose"),
     [("kernel", (3, 3, 2, 3)), ("bias", (2,))],
     "layers.Conv2DTranspose(2, 3, strides=2)"),
    ("SeparableConv2D", separable_config("separable_conv2d"),
     [("depthwise_kernel", (3, 3, 2, 1)), ("pointwise_kernel", (1, 1, 2, 4)), ("bias", (4,))],
     "layers.SeparableConv2D(4, 3, activation='relu')"),
    ("Conv2D", conv_config("conv2d_1", 2, (1, 1)),
     [("kernel", (1, 1, 4, 2)), ("bias", (2,))],
     "layers.Conv2D(2, 1)"),
    ("MaxPooling2D", pool_config("max_pooling2d"), [], "layers.MaxPooling2D(2)"),
    ("BatchNormalization", bn_config("batch_normalization", -1),
     [("gamma", (2,)), ("beta", (2,)), ("moving_mean", (2,)), ("moving_variance", (2,))],
     "layers.BatchNormalization()"),
    ("Flatten", flatten_config("flatten"), [], "layers.Flatten()"),
    ("Dropout", dropout_config("dropout", 0.25), [], "layers.Dropout(0.25)"),
    ("Dense", dense_config("dense", 3, "linear"), [("kernel", (50, 3)), ("bias", (3,))],
     "layers.Dense(3)"),
]


def make_weights(layers, seed):
    """{layer name: [(weight name, float32 array)]}, deterministic."""
    rng = np.random.default_rng(seed)
    weights = {}
    for _, config, specs, _ in layers:
        values = []
        for name, shape in specs:
            if name == "moving_variance":
                v = rng.uniform(0.5, 1.5, shape)
            elif name == "gamma":
                v = rng.uniform(0.8, 1.2, shape)
            else:
                v = rng.normal(0.0, 0.5, shape)
            values.append((name, v.astype(np.float32)))
        weights[config["name"]] = values
    return weights


# ---- Writers ------------------------------------------------------------------

def write_lines(path, input_shape, layers):
    text = ["import keras", "from keras import layers", "",
            "model = keras.Sequential([",
            f"    keras.Input(shape={tuple(input_shape)}),"]
    text += [f"    {line}," for _, _, _, line in layers]
    text += ["])", ""]
    with open(path, "w") as f:
        f.write("\n".join(text))


def write_npz(path, layers, weights):
    arrays = {}
    for _, config, _, _ in layers:
        for name, value in weights[config["name"]]:
            arrays[f"{config['name']}/{name}"] = value
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def keras2_model_json(input_shape, layers):
    entries = [{"class_name": "InputLayer",
                "config": {"batch_input_shape": [None, *input_shape], "dtype": "float32",
                           "sparse": False, "ragged": False, "name": "input_1"}}]
    entries += [{"class_name": cls, "config": config} for cls, config, _, _ in layers]
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": entries},
            "keras_version": "2.15.0", "backend": "tensorflow"}


def save_attribute(group, name, values):
    """Keras's save_attributes_to_hdf5_group: a numpy array of byte strings
    (an empty list becomes numpy.asarray([]), float64)."""
    group.attrs[name] = np.asarray(values)


def write_legacy_weights(group, layers, weights, colon=True, vlen=False):
    names = [config["name"] for _, config, _, _ in layers]

    def strings(values):
        if vlen:
            return np.array(values, dtype=h5py.string_dtype()) if values else np.asarray([])
        return [v.encode("utf8") for v in values]

    save_attribute(group, "layer_names", strings(names))
    group.attrs["backend"] = "tensorflow" if vlen else b"tensorflow"
    group.attrs["keras_version"] = ("3.10.0" if vlen else b"2.15.0")
    for name in sorted(names):
        layer_group = group.create_group(name)
        weight_names = [f"{name}/{w}" + (":0" if colon else "") for w, _ in weights[name]]
        save_attribute(layer_group, "weight_names", strings(weight_names))
        for weight_name, (_, value) in zip(weight_names, weights[name]):
            layer_group.create_dataset(weight_name, data=value)
    save_attribute(group.create_group("top_level_model_weights"), "weight_names", strings([]))


def write_legacy_model(path, input_shape, layers, weights, colon=True, vlen=False, edit=None):
    with h5py.File(path, "w", track_order=False) as f:
        config = json.dumps(keras2_model_json(input_shape, layers))
        if vlen:
            f.attrs["keras_version"] = "3.10.0"
            f.attrs["backend"] = "tensorflow"
            f.attrs["model_config"] = config
        else:
            f.attrs["keras_version"] = b"2.15.0"
            f.attrs["backend"] = b"tensorflow"
            f.attrs["model_config"] = config.encode("utf8")
        write_legacy_weights(f.create_group("model_weights"), layers, weights, colon, vlen)
        if edit:
            edit(f)


def write_legacy_weights_file(path, layers, weights):
    with h5py.File(path, "w") as f:
        write_legacy_weights(f, layers, weights)


def dtype_policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
            "registered_name": None}


def keras3_object(value, module):
    if not isinstance(value, dict):
        return value
    return {"module": module, "class_name": value["class_name"], "config": value["config"],
            "registered_name": None}


def keras3_layer_config(cls, config):
    out = {}
    for key, value in config.items():
        if key == "dtype":
            value = dtype_policy()
        elif key.endswith("_initializer"):
            value = keras3_object(value, "keras.initializers")
        elif key == "groups" and cls != "Conv2D":
            continue
        elif key == "activity_regularizer" and "Conv" not in cls:
            continue  # Keras 3 emits it only when set, Conv re-adds it
        out[key] = value
    if cls == "BatchNormalization":
        out["synchronized"] = False
    return out


def keras3_model_json(input_shape, layers):
    batch = [None, *input_shape]
    entries = [{"module": "keras.layers", "class_name": "InputLayer",
                "config": {"batch_shape": batch, "dtype": "float32", "sparse": False,
                           "ragged": False, "name": "input_layer"},
                "registered_name": None}]
    for (cls, config, _, _), shape in zip(layers, layer_input_shapes(layers)):
        entry = {"module": "keras.layers", "class_name": cls,
                 "config": keras3_layer_config(cls, config), "registered_name": None}
        if cls not in ("MaxPooling2D", "Dropout"):  # built in __init__: no build_config
            entry["build_config"] = {"input_shape": [None, *shape]}
        entries.append(entry)
    return {"module": "keras", "class_name": "Sequential",
            "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(),
                       "layers": entries, "build_input_shape": batch},
            "registered_name": None, "build_config": {"input_shape": batch}}


def layer_input_shapes(layers):
    """The input shape of each K3 layer, worked out by hand for this model."""
    assert layers is K3_LAYERS
    return [(6, 6, 2), (6, 6, 3), (13, 13, 2), (11, 11, 4), (11, 11, 2), (5, 5, 2), (5, 5, 2),
            (50,), (50,)]


def snake_keys(layers):
    used, keys = {}, []
    for cls, _, _, _ in layers:
        snake = {"Conv2D": "conv2d", "Conv2DTranspose": "conv2d_transpose",
                 "SeparableConv2D": "separable_conv2d", "MaxPooling2D": "max_pooling2d",
                 "BatchNormalization": "batch_normalization", "Flatten": "flatten",
                 "Dropout": "dropout", "Dense": "dense",
                 "DepthwiseConv2D": "depthwise_conv2d"}[cls]
        n = used.get(snake, -1) + 1
        used[snake] = n
        keys.append(snake if n == 0 else f"{snake}_{n}")
    return keys


def keras3_weights_bytes(layers, weights):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars").attrs["name"] = "sequential"
        group = f.create_group("layers")
        for key, (_, config, _, _) in zip(snake_keys(layers), layers):
            vars_group = group.create_group(key).create_group("vars")
            vars_group.attrs["name"] = config["name"]
            for i, (_, value) in enumerate(weights[config["name"]]):
                vars_group.create_dataset(str(i), data=value)
    return buffer.getvalue()


def write_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=DATE), data)


METADATA = json.dumps({"keras_version": "3.10.0", "date_saved": "2025-01-01@00:00:00"})


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(CORPUS, exist_ok=True)
    rng = np.random.default_rng(6)

    k2 = make_weights(K2_LAYERS, 2)
    write_lines(os.path.join(DATA, "k2_model.txt"), K2_INPUT, K2_LAYERS)
    write_npz(os.path.join(DATA, "k2_weights.npz"), K2_LAYERS, k2)
    np.save(os.path.join(DATA, "k2_input.npy"),
            rng.normal(0, 1, (3, *K2_INPUT)).astype(np.float32))
    write_legacy_model(os.path.join(DATA, "k2_model.h5"), K2_INPUT, K2_LAYERS, k2)
    write_legacy_weights_file(os.path.join(DATA, "k2_weights.h5"), K2_LAYERS, k2)
    write_legacy_model(os.path.join(DATA, "k3_legacy.h5"), K2_INPUT, K2_LAYERS, k2,
                       colon=False, vlen=True)

    def transposed_kernel(f):
        del f["model_weights/dense/dense/kernel:0"]
        f["model_weights/dense/dense"].create_dataset("kernel:0", data=k2["dense"][0][1].T)

    def int_kernel(f):
        del f["model_weights/dense/dense/kernel:0"]
        f["model_weights/dense/dense"].create_dataset(
            "kernel:0", data=np.zeros((72, 5), dtype=np.int32))

    write_legacy_model(os.path.join(DATA, "k2_bad_shape.h5"), K2_INPUT, K2_LAYERS, k2,
                       edit=transposed_kernel)
    write_legacy_model(os.path.join(DATA, "k2_bad_dtype.h5"), K2_INPUT, K2_LAYERS, k2,
                       edit=int_kernel)

    k3 = make_weights(K3_LAYERS, 3)
    write_lines(os.path.join(DATA, "k3_model.txt"), K3_INPUT, K3_LAYERS)
    write_npz(os.path.join(DATA, "k3_weights.npz"), K3_LAYERS, k3)
    np.save(os.path.join(DATA, "k3_input.npy"),
            rng.normal(0, 1, (2, *K3_INPUT)).astype(np.float32))
    config = json.dumps(keras3_model_json(K3_INPUT, K3_LAYERS))
    weights = keras3_weights_bytes(K3_LAYERS, k3)
    with open(os.path.join(DATA, "k3_model.weights.h5"), "wb") as f:
        f.write(weights)
    members = [("metadata.json", METADATA), ("config.json", config),
               ("model.weights.h5", weights)]
    write_zip(os.path.join(DATA, "k3_model.keras"), members)
    write_zip(os.path.join(DATA, "k3_no_weights.keras"), members[:2])
    write_zip(os.path.join(DATA, "k3_no_config.keras"), [members[0], members[2]])
    write_zip(os.path.join(DATA, "k3_text_weights.keras"),
              members[:2] + [("model.weights.h5", "not an HDF5 file\n")])
    lstm = config.replace('"class_name": "Dense"', '"class_name": "LSTM"')
    write_zip(os.path.join(DATA, "k3_lstm.keras"), [members[0], ("config.json", lstm),
                                                    members[2]])

    # The fuzzer's seeds: archives without the HDF5 member's bulk.
    write_zip(os.path.join(CORPUS, "k3_config_only.keras"), members[:2])
    write_zip(os.path.join(CORPUS, "k3_model.keras"), members)
    write_zip(os.path.join(CORPUS, "k3_lstm.keras"), [members[0], ("config.json", lstm)])


if __name__ == "__main__":
    main()
