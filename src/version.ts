/** dom0up's version (package.json), recorded in run journals and saved plans. */
export const DOM0UP_VERSION = '0.2.0';
