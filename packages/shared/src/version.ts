/** The suite's version, sent in every AWS user agent; a test keeps it equal to package.json's. */
export const SUITE_NAME = 'mpac-actions';
export const SUITE_VERSION = '0.1.0';
