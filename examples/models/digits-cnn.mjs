// A small convolutional network for scikit-learn's digits (64 pixel columns, 8×8 grey levels).
// Copy it to $DATA/models/digits-cnn.mjs and set model.type = "digits-cnn" (see README, "Your own models").

/** Each row's 64 features are reshaped to an 8×8 image with one channel before they reach the model. */
export const inputShape = [8, 8, 1];

/** The [model.params] this module accepts; unknown keys and wrong types are config errors. */
export const paramsSchema = {
  filters: { type: 'integer', default: 16, min: 1, max: 256, doc: 'Filters of the first convolution (the second has twice as many).' },
  dense_units: { type: 'integer', default: 64, min: 1, max: 4096, doc: 'Units of the dense layer before the output.' },
};

/**
 * Returns an uncompiled tf.LayersModel; expman compiles it with training.optimizer and the task's loss.
 * Every initialiser comes from `initializer()`, seeded from training.seed, so a re-run is exact.
 */
export default function build({ tf, inputShape, outputSize, outputActivation, params, initializer }) {
  const model = tf.sequential({ name: 'digits_cnn' });
  model.add(tf.layers.conv2d({ name: 'conv1', inputShape, filters: params.filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: initializer('heNormal') }));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: params.filters * 2, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: initializer('heNormal') }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'dense', units: params.dense_units, activation: 'relu', kernelInitializer: initializer() }));
  model.add(tf.layers.dense({ name: 'output', units: outputSize, activation: outputActivation, kernelInitializer: initializer() }));
  return model;
}
