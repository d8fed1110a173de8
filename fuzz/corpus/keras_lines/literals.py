from tensorflow.keras import regularizers
n = 2 ** 3 + 28 // 4 - 1
shape = (n, n, 1)
init = keras.initializers.HeNormal(seed=1)
model = Sequential(name="lit")
model.add(Conv2D(n, (3,), strides=[1, 1], padding="s\x61me", use_bias=False, input_shape=shape, \
                 kernel_initializer=init, kernel_regularizer=regularizers.l2(1e-4),
                 activation=tf.nn.relu, bias_constraint={'a': .5, 'b': -2., 'c': None, 'd': True}))
model.build((None, 14, 14, 1)); print(f"{model.count_params()}")
