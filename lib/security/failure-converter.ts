/**
 * The failure converter the worker loads by path (`DataConverter.failureConverterPath`), because
 * it also runs inside the workflow sandbox: this file must stay free of Node built-ins.
 * With `encodeCommonAttributes`, failure messages and stack traces move into a payload that the
 * encryption codec then encrypts, instead of being stored in plain text in the history.
 *
 * @example
 * // Only referenced through createDataConverter(codec).failureConverterPath.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
