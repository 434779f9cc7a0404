// Optional comparison of the preprocess benchmark (`--danfo`): the same work with danfojs-node.
// usage: node bench/danfo_split.mjs SOURCE.csv OUT_DIR TRAIN_FRACTION
import * as dfd from 'danfojs-node';

const [source, outDir, fraction] = process.argv.slice(2);
const df = await dfd.readCSV(source);
const shuffled = await df.sample(df.shape[0], { seed: 42 });
const nTrain = Math.round(shuffled.shape[0] * Number(fraction));
dfd.toCSV(shuffled.iloc({ rows: [`0:${nTrain}`] }), { filePath: `${outDir}/train.csv` });
dfd.toCSV(shuffled.iloc({ rows: [`${nTrain}:`] }), { filePath: `${outDir}/test.csv` });
