/** Machine-learning detectors: features, models trained in TypeScript, ONNX export. */
export { type AttributeValue, type Dim, floatTensor, floatValue, type GraphSpec, int64Tensor, ML_DOMAIN, modelBytes, type NodeSpec } from './onnx-model.js';
