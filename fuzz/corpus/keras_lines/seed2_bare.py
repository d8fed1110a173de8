keras.Input(shape=(8, 16, 3))
tf.keras.layers.Conv2D(filters=5, kernel_size=3, strides=(2,2), padding='valid')
