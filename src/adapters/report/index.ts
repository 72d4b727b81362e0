export { renderReport, renderIndex, reportPath, CONTENT_SECURITY_POLICY, type ModelRow, type ReportInput } from './render.js';
export { HistoryExporter } from './exporter.js';
export { MAX_CATEGORIES } from './view.js';
