// The Keras lines reader: every accepted form of model code, and malformed
// inputs with the line, column and message of their error. Expected shapes
// and counts are worked out by hand from Keras's formulas (reference §1-§2).
#include <gtest/gtest.h>

#include <string>

#include "stride/stride.hpp"

namespace stride {
namespace {

Sequential read(const std::string& text) {
  return read_keras_lines(text, "m.py");
}

// "FILE:LINE:COL: message" of the error reading `text` throws.
std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const Error& e) {
    return e.located();
  }
  return "(no error)";
}

Shape output_of(Sequential& m, std::size_t i) {
  m.build();
  return m.layers().at(i)->output_shape();
}

// ---- Accepted forms --------------------------------------------------------

TEST(KerasLines, FirstSeedConv) {
  Sequential m = read(
      "import numpy as np\n"
      "from tensorflow import keras\n"
      "model = keras.models.Sequential()\n"
      "#here in the snippet below\n"
      "model.add(keras.layers.Conv2D(5, kernel_size=3, activation='relu',\n"
      "input_shape=(32, 32, 3)))\n"
      "model.summary()\n");
  ASSERT_EQ(m.layers().size(), 1u);
  EXPECT_EQ(m.name(), "sequential");
  EXPECT_EQ(m.layers()[0]->name(), "conv2d");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 30, 30, 5}));  // (32 - 3)/1 + 1 = 30
  EXPECT_EQ(m.count_params(), 140);                       // (3*3*3 + 1) * 5
}

TEST(KerasLines, FirstSeedWithPooling) {
  Sequential m = read(
      "model = keras.models.Sequential()\n"
      "model.add(keras.layers.Conv2D(5, kernel_size=3, activation='relu',\n"
      "input_shape=(32, 32, 3)))\n"
      "model.summary()\n"
      "#default strides is 2 in pooling layer)\n"
      "model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))\n"
      "model.summary()\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 30, 30, 5}));
  EXPECT_EQ(output_of(m, 1), (Shape{kNone, 15, 15, 5}));  // (30 - 2)/2 + 1 = 15
  EXPECT_EQ(m.layers()[1]->name(), "max_pooling2d");
  EXPECT_EQ(m.layers()[1]->count_params(), 0);
}

TEST(KerasLines, SecondSeedConv) {
  Sequential m = read(
      "keras.Input(shape=(8, 16, 3))\n"
      "tf.keras.layers.Conv2D(filters=5, kernel_size=3, strides=(2,2), padding='valid')\n");
  // height floor((8 - 3)/2) + 1 = 3, width floor((16 - 3)/2) + 1 = 7
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 3, 7, 5}));
  EXPECT_EQ(m.count_params(), 140);  // (3*3*3 + 1) * 5
}

TEST(KerasLines, MnistConvnet) {
  Sequential m = read(R"PY("""
Title: Simple MNIST convnet
"""
import numpy as np
import keras
from keras import layers

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

batch_size = 128
epochs = 15

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
)PY");
  ASSERT_EQ(m.layers().size(), 7u);
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 26, 26, 32}));  // 28 - 3 + 1
  EXPECT_EQ(output_of(m, 1), (Shape{kNone, 13, 13, 32}));  // (26 - 2)/2 + 1
  EXPECT_EQ(output_of(m, 2), (Shape{kNone, 11, 11, 64}));  // 13 - 3 + 1
  EXPECT_EQ(output_of(m, 3), (Shape{kNone, 5, 5, 64}));    // floor((11 - 2)/2) + 1
  EXPECT_EQ(output_of(m, 4), (Shape{kNone, 1600}));        // 5*5*64
  EXPECT_EQ(output_of(m, 6), (Shape{kNone, 10}));
  // (3*3*1+1)*32 = 320, (3*3*32+1)*64 = 18496, 1600*10 + 10 = 16010
  EXPECT_EQ(m.count_params(), 320 + 18496 + 16010);
  EXPECT_EQ(m.layers()[2]->name(), "conv2d_1");
  EXPECT_EQ(m.layers()[3]->name(), "max_pooling2d_1");
}

TEST(KerasLines, Prefixes) {
  for (const char* prefix : {"", "layers.", "keras.layers.", "tf.keras.layers.", "keras."}) {
    Sequential m = read(std::string(prefix) + "Conv2D(4, 3, input_shape=(10, 10, 2))\n");
    EXPECT_EQ(output_of(m, 0), (Shape{kNone, 8, 8, 4})) << prefix;  // 10 - 3 + 1
    EXPECT_EQ(m.count_params(), (3 * 3 * 2 + 1) * 4) << prefix;
  }
}

TEST(KerasLines, SequentialListWithName) {
  Sequential m = read(
      "model = keras.Sequential([\n"
      "    keras.Input(shape=(12, 12, 3)),\n"
      "    layers.Conv2D(8, 3),  # a comment inside the list\n"
      "    layers.Conv2D(8, 3, name='second'),\n"
      "], name=\"my_net\")\n"
      "model.summary()\n");
  EXPECT_EQ(m.name(), "my_net");
  ASSERT_EQ(m.layers().size(), 2u);
  EXPECT_EQ(m.layers()[0]->name(), "conv2d");
  EXPECT_EQ(m.layers()[1]->name(), "second");
  EXPECT_EQ(output_of(m, 1), (Shape{kNone, 8, 8, 8}));  // 12 - 2 - 2
}

TEST(KerasLines, SequentialPositionalNameAndNoAssignment) {
  Sequential m = read("Sequential([Input((5, 5, 1)), Conv2D(2, 5)], 'tiny')\n");
  EXPECT_EQ(m.name(), "tiny");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 1, 1, 2}));  // 5 - 5 + 1
}

TEST(KerasLines, SequentialThenAdd) {
  Sequential m = read(
      "model = Sequential(name='x')\n"
      "model.add(InputLayer(input_shape=(6, 6, 1)))\n"
      "model.add(Conv2D(1, 2))\n");
  EXPECT_EQ(m.name(), "x");
  EXPECT_EQ(m.input_shape(), (Shape{kNone, 6, 6, 1}));
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 5, 5, 1}));
}

TEST(KerasLines, InputForms) {
  const char* inputs[] = {
      "keras.Input(shape=(9, 9, 3))\nConv2D(1, 3)\n",
      "layers.Input((9, 9, 3))\nConv2D(1, 3)\n",
      "InputLayer(input_shape=(9, 9, 3))\nConv2D(1, 3)\n",
      "model = Sequential()\nmodel.add(keras.Input(shape=(9, 9, 3)))\nmodel.add(Conv2D(1, 3))\n",
      "model = Sequential([layers.InputLayer(input_shape=(9, 9, 3)), Conv2D(1, 3)])\n",
      "Conv2D(1, 3, input_shape=(9, 9, 3))\n",
      "model = Sequential()\nmodel.add(Conv2D(1, 3))\nmodel.build((None, 9, 9, 3))\n",
  };
  for (const char* text : inputs) {
    Sequential m = read(text);
    EXPECT_EQ(m.input_shape(), (Shape{kNone, 9, 9, 3})) << text;
    ASSERT_EQ(m.layers().size(), 1u) << text;
    EXPECT_EQ(output_of(m, 0), (Shape{kNone, 7, 7, 1})) << text;  // 9 - 3 + 1
  }
}

TEST(KerasLines, BareLinesWithoutModelVariable) {
  Sequential m = read("Conv2D(3, 3, input_shape=(7, 7, 1))\nConv2D(3, 3)\nConv2D(3, 3)\n");
  ASSERT_EQ(m.layers().size(), 3u);
  EXPECT_EQ(m.layers()[2]->name(), "conv2d_2");
  EXPECT_EQ(output_of(m, 2), (Shape{kNone, 1, 1, 3}));  // 7 - 2 - 2 - 2
}

TEST(KerasLines, BareTupleAssignmentAndSummaryAfterBareLines) {
  Sequential m = read(
      "input_shape = 6, 6, 1\n"
      "Conv2D(1, 3, input_shape=input_shape)\n"
      "model.summary()\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 4, 4, 1}));  // 6 - 3 + 1
}

TEST(KerasLines, AddWithoutModelDefinition) {
  Sequential m = read("model.add(Conv2D(3, 3, input_shape=(7, 7, 1)))\nmodel.summary()\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 5, 5, 3}));
}

TEST(KerasLines, PositionalArgumentsInKerasOrder) {
  // Conv2D(filters, kernel_size, strides, padding)
  Sequential m = read("Conv2D(8, (3, 3), (2, 2), 'same', input_shape=(9, 16, 3))\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 5, 8, 8}));  // ceil(9/2), ceil(16/2)
  EXPECT_EQ(m.layers()[0]->config().json()["strides"], Json::array({2, 2}));
}

TEST(KerasLines, LiteralForms) {
  Sequential m = read(
      "Conv2D(filters=+4, kernel_size=[3, 3], padding=\"s\\x61me\", use_bias=False,\n"
      "       data_format=None, kernel_regularizer={'l2': 1e-3, 'l1': .5, 'x': 2., 'y': -1},\n"
      "       bias_constraint=(3,), activity_regularizer=r'a\\n' 'b', input_shape=(4, 4, 2))\n");
  const Json& c = m.layers()[0]->config().json();
  EXPECT_EQ(c["padding"], "same");
  EXPECT_EQ(c["use_bias"], false);
  EXPECT_EQ(c["kernel_regularizer"]["l2"].get<double>(), 0.001);
  EXPECT_EQ(c["kernel_regularizer"]["l1"].get<double>(), 0.5);
  EXPECT_TRUE(c["kernel_regularizer"]["x"].is_number_float());
  EXPECT_EQ(c["kernel_regularizer"]["y"], -1);
  EXPECT_EQ(c["bias_constraint"], Json::array({3}));
  EXPECT_EQ(c["activity_regularizer"], "a\\nb");  // raw string keeps the backslash
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 4, 4, 4}));
  EXPECT_EQ(m.count_params(), 3 * 3 * 2 * 4);  // no bias
}

TEST(KerasLines, OneTupleKernelForConv1D) {
  Sequential m = read("Conv1D(2, (3,), input_shape=(10, 4))\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 8, 2}));  // 10 - 3 + 1
  EXPECT_EQ(m.count_params(), (3 * 4 + 1) * 2);
}

TEST(KerasLines, StringEscapes) {
  const LayerCall call =
      parse_layer_call("Conv2D(1, 1, name='it\\'s \"q\" \\u00e9\\t', dtype=\"\\\\\")", "<arg>");
  EXPECT_EQ(call.args[2].value, "it's \"q\" \xC3\xA9\t");
  EXPECT_EQ(call.args[3].value, "\\");
}

TEST(KerasLines, ContinuationsAndComments) {
  Sequential m = read(
      "# leading comment\n"
      "x = 3 + \\\n"
      "    2  # five\n"
      "model = Sequential()  # the model\n"
      "model.add(Conv2D(1, x,\n"
      "                 # a comment between arguments\n"
      "                 input_shape=(x, x, 1)))  ; model.summary()\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 1, 1, 1}));  // 5 - 5 + 1
}

TEST(KerasLines, VariablesAndArithmetic) {
  Sequential m = read(
      "num_classes = 10\n"
      "side = 28\n"
      "input_shape = (side, side, 1)\n"
      "model = keras.Sequential()\n"
      "model.add(Conv2D(num_classes * 2, (side // 9, 7 - 4), input_shape=input_shape))\n"
      "model.add(Conv2D(num_classes + 1 - 1, 2 ** 1 + 1))\n");
  // 20 filters, kernel (3, 3): 28 - 3 + 1 = 26; then 10 filters, kernel 3: 24
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 26, 26, 20}));
  EXPECT_EQ(output_of(m, 1), (Shape{kNone, 24, 24, 10}));
}

TEST(KerasLines, KerasObjectsAndDottedNames) {
  Sequential m = read(
      "from tensorflow.keras import regularizers\n"
      "from tensorflow.keras.activations import relu\n"
      "init = keras.initializers.HeNormal(seed=1)\n"
      "Conv2D(2, 3, kernel_initializer=init, bias_initializer=keras.initializers.Zeros(),\n"
      "       kernel_regularizer=regularizers.l2(1e-4), activation=tf.nn.relu,\n"
      "       input_shape=(5, 5, 1))\n"
      "Conv2D(2, 3, activation=relu, kernel_constraint=keras.constraints.MaxNorm(3))\n");
  const Json& c = m.layers()[0]->config().json();
  EXPECT_EQ(c["kernel_initializer"],
            Json::parse(R"({"class_name": "HeNormal", "config": {"seed": 1}})"));
  EXPECT_EQ(c["bias_initializer"], Json::parse(R"({"class_name": "Zeros", "config": {}})"));
  EXPECT_EQ(c["kernel_regularizer"],
            Json::parse(R"({"class_name": "L2", "config": {"l2": 0.0001}})"));
  EXPECT_EQ(c["activation"], "relu");
  const Json& c1 = m.layers()[1]->config().json();
  EXPECT_EQ(c1["activation"], "relu");
  EXPECT_EQ(c1["kernel_constraint"],
            Json::parse(R"({"class_name": "MaxNorm", "config": {"max_value": 3}})"));
}

TEST(KerasLines, SkippedStatements) {
  Sequential m = read(
      "import tensorflow as tf\n"
      "from tensorflow.keras import layers, models\n"
      "from keras.layers import (Conv2D,\n"
      "    Dense)\n"
      "batch_size = 128\n"
      "epochs = 15\n"
      "model = models.Sequential()\n"
      "model.add(Conv2D(1, 1, input_shape=(2, 2, 1)))\n"
      "model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss=lambda y, p: p[0] ** 2)\n"
      "history = model.fit(x[:100], y, epochs=epochs, callbacks=[cb for cb in cbs if cb])\n"
      "model.evaluate(x_test, y_test, verbose=0)\n"
      "model.save('m.h5')\n"
      "print(f'{model.count_params()} params', end='')\n"
      "tf.keras.utils.plot_model(model, show_shapes=True)\n");
  EXPECT_EQ(m.layers().size(), 1u);
}

TEST(KerasLines, LayerVariables) {
  Sequential m = read(
      "first = layers.Conv2D(2, 3, input_shape=(6, 6, 1))\n"
      "model = keras.Sequential()\n"
      "model.add(first)\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 4, 4, 2}));
  Sequential m2 = read(
      "stack = [layers.Conv2D(2, 3, input_shape=(6, 6, 1)), layers.Conv2D(2, 2)]\n"
      "model = keras.Sequential(stack)\n");
  EXPECT_EQ(output_of(m2, 1), (Shape{kNone, 3, 3, 2}));  // 6 - 2 - 1
}

TEST(KerasLines, WindowsLineEndingsAndByteOrderMark) {
  Sequential m = read(
      "\xEF\xBB\xBFmodel = Sequential()\r\nmodel.add(Conv2D(1, 2,\r\n"
      "  input_shape=(3, 3, 1)))\r\n");
  EXPECT_EQ(output_of(m, 0), (Shape{kNone, 2, 2, 1}));
}

TEST(KerasLines, ParseLayerCallForExplain) {
  const LayerCall call = parse_layer_call("MaxPooling2D(2, strides=2)", "<arg>");
  EXPECT_EQ(call.class_name, "MaxPooling2D");
  ASSERT_EQ(call.args.size(), 2u);
  EXPECT_EQ(call.args[0].keyword, "");
  EXPECT_EQ(call.args[0].value, 2);
  EXPECT_EQ(call.args[0].loc.col, 14);  // "MaxPooling2D(" is 13 characters
  EXPECT_EQ(call.args[1].keyword, "strides");
  EXPECT_EQ(call.args[1].loc.col, 17);
  EXPECT_EQ(call.loc.str(), "<arg>:1:1");
  EXPECT_EQ(parse_layer_call("layers.Conv2D(3, 3)\n", "<arg>").class_name, "Conv2D");
}

TEST(KerasLines, ErrorsFromLayersPointAtTheArgument) {
  EXPECT_EQ(error_of("Conv2D(5, 3, input_shape=(8, 8, 1))\nConv2D(0, 3)\n"),
            "m.py:2:8: Conv2D: Invalid value for argument `filters`. Expected a strictly positive "
            "value. Received filters=0.");
}

// ---- Errors ------------------------------------------------------------------

struct ErrorCase {
  const char* text;
  const char* located;  // "m.py:LINE:COL: message"
};

class KerasLinesError : public testing::TestWithParam<ErrorCase> {};

TEST_P(KerasLinesError, LineColumnAndMessage) {
  EXPECT_EQ(error_of(GetParam().text), GetParam().located) << GetParam().text;
}

const ErrorCase kErrors[] = {
    {"",
     "m.py:1:1: no layers found: expected Keras layer calls (keras.Sequential([...]), "
     "model.add(...) or one layer call per line)"},
    {"# only a comment\nimport keras\n",
     "m.py:1:1: no layers found: expected Keras layer calls (keras.Sequential([...]), "
     "model.add(...) or one layer call per line)"},
    {"model = keras.Sequential()\nmodel.summary()\n", "m.py:1:15: no layers found in the model"},
    {"Conv2D(5, padding='same)\n", "m.py:1:19: unterminated string literal"},
    {"x = 1\n'''doc\n\n", "m.py:2:1: unterminated triple-quoted string literal"},
    {"model.add(Conv2D(5, 3,\n  input_shape=(4, 4, 1))\n", "m.py:1:10: '(' was never closed"},
    {"Conv2D(5, 3]\n", "m.py:1:12: closing ']' does not match '(' opened at line 1, column 7"},
    {"Conv2D(5, 3))\n", "m.py:1:13: unmatched ')'"},
    {"Conv2D(filters, 3)\n", "m.py:1:8: unknown name `filters`"},
    {"Conv2d(5, 3)\n", "m.py:1:1: unknown layer `Conv2d` (did you mean 'Conv2D'?)"},
    {"Conv2D(5, =3)\n", "m.py:1:11: unexpected '=': expected a value"},
    {"Conv2D(5 3)\n", "m.py:1:10: missing comma before '3'"},
    {"model = Sequential([Conv2D(2, 2)\n    Conv2D(2, 2)])\n",
     "m.py:2:5: missing comma before 'Conv2D'"},
    {"Conv2D(Conv2D(1, 1), 3)\n",
     "m.py:1:8: `Conv2D(...)` is a layer or model; it can only be added to the model "
     "(model.add(...) or the Sequential list), not used as a value"},
    {"model = Sequential()\nConv2D(1, 1)\n",
     "m.py:2:1: a layer call on a line of its own, but the model is defined at line 1: add the "
     "layer with model.add(...) or in the Sequential list"},
    {"a = Sequential([Conv2D(1, 1)])\nb = keras.Sequential()\n",
     "m.py:2:11: a second model in one file (the first is defined at line 1); a model file "
     "holds one Sequential model"},
    {"Conv2D(5, 3) $\n", "m.py:1:14: unexpected character '$'"},
    {"Conv2D(5, 3)\nConv2D(5, 3) \xC3\x97\n",
     "m.py:2:14: unexpected character '\xC3\x97' outside a string or comment"},
    {"Conv2D(5, 3)\n# caf\xE9\n",
     "m.py:2:6: invalid UTF-8 byte 0xE9; model files must be UTF-8 text"},
    {"Conv2D(5, 3)\x01\n", "m.py:1:13: unexpected control character U+0001"},
    {"Conv2D(99999999999999999999, 3)\n",
     "m.py:1:8: integer literal 99999999999999999999 is out of range (at most 2**63 - 1)"},
    {"n = 2 ** 64\n", "m.py:1:7: integer overflow in 2 ** 64 (beyond 64 bits)"},
    {"n = 10 // (5 - 5)\n", "m.py:1:8: integer division or modulo by zero"},
    {"Conv2D(05, 3)\n",
     "m.py:1:8: leading zeros in decimal integer literals are not permitted; use an 0o prefix "
     "for octal integers"},
    {"x_train = x_train.astype(\"float32\") / 255\n",
     "m.py:1:1: `x_train = x_train.astype(\"float32\") / 255`: not a Keras layer, model or "
     "literal assignment"},
    {"Conv2D(1, 1, input_shape=(2, 2, 1))\n(x_train, y_train), (x_test, y_test) = "
     "keras.datasets.mnist.load_data()\n",
     "m.py:2:1: `(x_train, y_train), (x_test, y_test) = keras.dat ...`: not a Keras layer, "
     "model or literal assignment"},
    {"for i in range(3):\n    model.add(Conv2D(1, 1))\n",
     "m.py:1:1: `for i in range(3):`: not a Keras layer, model or literal assignment"},
    {"inputs = keras.Input(shape=(28, 28, 1))\nx = layers.Conv2D(32, 3)(inputs)\n",
     "m.py:2:12: only Sequential models are supported: calling `layers.Conv2D(...)` on a tensor "
     "is Keras's functional API"},
    {"model = keras.Model(inputs=inputs, outputs=x)\n",
     "m.py:1:15: only Sequential models are supported: `keras.Model(...)` is Keras's functional "
     "API"},
    {"Conv2D(kernel_size=3, 5)\n", "m.py:1:23: positional argument follows keyword argument"},
    {"Conv2D(5, 3, padding='same', padding='valid')\n",
     "m.py:1:30: keyword argument repeated: padding"},
    {"x = 1 + \\ 2\n", "m.py:1:9: unexpected character after line continuation '\\'"},
    {"model = Sequential()\nmodel.add(Conv2D(1, 1, input_shape=(2, 2, 1)))\n"
     "model.add(keras.Input(shape=(2, 2, 1)))\n",
     "m.py:3:17: InputLayer: a Sequential model takes its input only once, first"},
    {"model = Sequential()\nmodel.add(3)\n", "m.py:2:11: expected a layer, got 3"},
    {"model = Sequential()\nmodel.add(Conv2D(1, 1), Conv2D(1, 1))\n",
     "m.py:2:7: model.add() takes exactly one argument (2 given)"},
    {"Conv2D(1, 1, name=f'c{i}')\n", "m.py:1:19: f-strings are not supported"},
    {"Conv2D(shape[0], 3)\n", "m.py:1:13: subscripts ('[...]') are not supported"},
    {"Conv2D(len(x), 3)\n", "m.py:1:8: `len(...)` is not a literal value or a Keras object"},
    {"model = Sequential(layer=[])\n", "m.py:1:20: Sequential: unknown argument `layer`"},
    {"c = Conv2D(1, 1, input_shape=(2, 2, 1))\nmodel = Sequential([c, c])\n",
     "m.py:2:24: layer `c` is already in the model (added at line 2)"},
    {"model = Sequential()\nmodel.add(Conv2D(1, 1))\nmodel.pop()\n",
     "m.py:3:7: model.pop() is not supported: leave the layer out instead"},
    {"Conv2D(5, (3,), input_shape=(8, 8, 1))\n",
     "m.py:1:11: Conv2D: The `kernel_size` argument must be a tuple of 2 integers. Received "
     "kernel_size=(3,)"},
    {"Conv2D(5, 3) Conv2D(5, 3)\n",
     "m.py:1:14: unexpected 'Conv2D' after the end of the expression"},
    {"Conv2D(5, 3, padding='same' if x else 'valid')\n",
     "m.py:1:29: unsupported Python syntax 'if'"},
    {"n = 3j\n", "m.py:1:5: complex numbers are not supported"},
    {"k = 3\nConv2D(1, k.real)\n", "m.py:2:12: attribute access on a value is not supported"},
    {"model.add(Conv2D(1, 1, input_shape=(2, 2, 1)))\nmodel.build((2, 2))\n"
     "model.build((None, 3, 3, 1))\n",
     "m.py:2:13: model.build(): the model's input shape is already (None, 2, 2, 1)"},
    {"s = 'a' + 1\n", "m.py:1:9: unsupported operand type(s) for +: 'str' and 'int'"},
    {"Conv2D(1, 1, kernel_regularizer={3: 1})\n", "m.py:1:34: dict keys must be strings, got 3"},
};

INSTANTIATE_TEST_SUITE_P(Malformed, KerasLinesError, testing::ValuesIn(kErrors));

TEST(KerasLines, DeepNestingIsAnErrorNotACrash) {
  const std::string deep =
      "Conv2D(" + std::string(5000, '(') + "1" + std::string(5000, ')') + ", 3)\n";
  // Conv2D's own '(' is level 1, so the 64th nested '(' (col 8 + 63) is level 65.
  EXPECT_EQ(error_of(deep), "m.py:1:71: expression nested too deeply (more than 64 levels)");
  // The 65th unary minus, at col 4 + 65.
  const std::string minus = "x = " + std::string(100000, '-') + "1\n";
  EXPECT_EQ(error_of(minus), "m.py:1:69: expression nested too deeply (more than 64 levels)");
}

TEST(KerasLines, ValuesBuiltFromVariablesAreBounded) {
  std::string text = "a = [1, 2, 3, 4, 5, 6, 7, 8]\n";
  for (int i = 0; i < 20; ++i) text += "a = a + a\n";
  const std::string e = error_of(text);
  EXPECT_NE(e.find("value too large"), std::string::npos) << e;
  std::string nest = "a = 1\n";
  for (int i = 0; i < 100; ++i) nest += "a = [a]\n";
  EXPECT_NE(error_of(nest).find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace stride
