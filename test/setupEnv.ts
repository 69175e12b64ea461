// Tests never reach real AWS: fixed fake credentials, and the SDK's Node 20 notice is silenced so real warnings stay visible.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
process.env.AWS_REGION ??= 'us-east-1';
