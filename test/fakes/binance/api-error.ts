/**
 * Binance's error answers as a throwable: handlers throw, the server writes `{code,msg}` with the
 * HTTP status Binance uses (400 for request and business errors, 401 for key problems).
 * Messages are Binance's own wording from errors.md.
 */
export class BinanceApiError extends Error {
  override name = 'BinanceApiError';
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly msg: string,
  ) {
    super(`${code} ${msg}`);
  }
}

export const apiErrors = {
  mandatory: (param: string) =>
    new BinanceApiError(400, -1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`),
  eitherParam: (a: string, b: string) => new BinanceApiError(400, -1102, `Param '${a}' or '${b}' must be sent, but both were empty/null!`),
  notRequired: (param: string) => new BinanceApiError(400, -1106, `Parameter '${param}' sent when not required.`),
  duplicateParam: () => new BinanceApiError(400, -1101, 'Duplicate values for a parameter detected.'),
  illegalChars: (param: string, range: string) =>
    new BinanceApiError(400, -1100, `Illegal characters found in parameter '${param}'; legal range is '${range}'.`),
  invalidSymbol: () => new BinanceApiError(400, -1121, 'Invalid symbol.'),
  invalidInterval: () => new BinanceApiError(400, -1120, 'Invalid interval.'),
  invalidSide: () => new BinanceApiError(400, -1117, 'Invalid side.'),
  invalidType: () => new BinanceApiError(400, -1116, 'Invalid orderType.'),
  invalidTif: () => new BinanceApiError(400, -1115, 'Invalid timeInForce.'),
  invalidParam: (param: string) => new BinanceApiError(400, -1130, `Data sent for parameter '${param}' is not valid.`),
  moreThanHours: (hours: number) => new BinanceApiError(400, -1127, `More than ${hours} hours between startTime and endTime.`),
  filter: (message: string) => new BinanceApiError(400, -1013, message),
  newOrderRejected: (msg: string) => new BinanceApiError(400, -2010, msg),
  duplicateOrder: () => new BinanceApiError(400, -2010, 'Duplicate order sent.'),
  insufficientBalance: () => new BinanceApiError(400, -2010, 'Account has insufficient balance for requested action.'),
  wouldTrigger: () => new BinanceApiError(400, -2010, 'Order would trigger immediately.'),
  unknownOrder: () => new BinanceApiError(400, -2011, 'Unknown order sent.'),
  noSuchOrder: () => new BinanceApiError(400, -2013, 'Order does not exist.'),
  badSignature: () => new BinanceApiError(400, -1022, 'Signature for this request is not valid.'),
  badKeyFormat: () => new BinanceApiError(401, -2014, 'API-key format invalid.'),
  rejectedKey: () => new BinanceApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  outsideRecvWindow: () => new BinanceApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  aheadOfServer: () => new BinanceApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  tooMuchWeight: (limit: number, per = '1 MINUTE') =>
    new BinanceApiError(
      429,
      -1003,
      `Too much request weight used; current limit is ${limit} request weight per ${per}. Please use WebSocket Streams for live updates to avoid polling the API.`,
    ),
  tooManyOrders: (limit: number, per: string) => new BinanceApiError(429, -1015, `Too many new orders; current limit is ${limit} orders per ${per}.`),
  unauthorized: () => new BinanceApiError(401, -1002, 'You are not authorized to execute this request.'),
  unsupported: () => new BinanceApiError(400, -1020, 'This operation is not supported.'),
  invalidJson: () => new BinanceApiError(400, -1135, 'Invalid JSON Request'),
  subscriptionActive: () => new BinanceApiError(400, -2035, 'User Data Stream subscription already active.'),
  subscriptionInactive: () => new BinanceApiError(400, -2036, 'User Data Stream subscription not active.'),
  maxSubscriptionIds: () => new BinanceApiError(400, -2042, 'Maximum subscription ID reached for this connection.'),
};
