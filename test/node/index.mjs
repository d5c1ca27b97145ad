// A Node.js Lambda handler, run by the unmodified aws-lambda-ric under wren's emulator.
export const handler = async (event, context) => {
  if (event && event.fail) {
    const err = new Error(`failed on purpose: ${event.fail}`);
    err.name = "NodeTest.Failed";
    throw err;
  }
  console.log(`node handler got ${JSON.stringify(event)}`);
  return {
    echo: event,
    functionName: context.functionName,
    memoryLimitInMB: context.memoryLimitInMB,
    functionVersion: context.functionVersion,
    awsRequestId: context.awsRequestId,
    invokedFunctionArn: context.invokedFunctionArn,
    hasTimeLeft: context.getRemainingTimeInMillis() > 0,
  };
};
