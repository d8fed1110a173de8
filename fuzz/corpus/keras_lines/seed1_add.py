import numpy as np
from tensorflow import keras
model = keras.models.Sequential()
#here in the snippet below
model.add(keras.layers.Conv2D(5, kernel_size=3, activation='relu',
input_shape=(32, 32, 3)))
model.summary()
model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
model.summary()
