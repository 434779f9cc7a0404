// A fully connected network with residual (skip) connections: x + f(x) in every block.
// Copy it to $DATA/models/residual-mlp.mjs and set model.type = "residual-mlp" (see README, "Your own models").

export const paramsSchema = {
  units: { type: 'integer', default: 32, min: 1, max: 4096, doc: 'Width of every block.' },
  blocks: { type: 'integer', default: 2, min: 1, max: 32, doc: 'Number of residual blocks.' },
  activation: { type: 'string', default: 'relu', choices: ['relu', 'tanh', 'elu', 'selu'], doc: 'Activation inside the blocks.' },
};

export default function build({ tf, inputShape, outputSize, outputActivation, params, initializer }) {
  const { units, blocks, activation } = params;
  const input = tf.input({ shape: inputShape, name: 'features' });
  let x = tf.layers.dense({ name: 'stem', units, activation, kernelInitializer: initializer() }).apply(input);
  for (let b = 1; b <= blocks; b++) {
    const h = tf.layers.dense({ name: `block${b}_a`, units, activation, kernelInitializer: initializer() }).apply(x);
    const f = tf.layers.dense({ name: `block${b}_b`, units, kernelInitializer: initializer() }).apply(h);
    x = tf.layers.activation({ name: `block${b}_out`, activation }).apply(tf.layers.add({ name: `block${b}_add` }).apply([x, f]));
  }
  const output = tf.layers.dense({ name: 'output', units: outputSize, activation: outputActivation, kernelInitializer: initializer() }).apply(x);
  return tf.model({ name: 'residual_mlp', inputs: input, outputs: output });
}
