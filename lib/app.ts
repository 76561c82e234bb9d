/**
 * Builds the CDK app from CDK context: validates the configuration (a bad value fails here, naming the key),
 * creates the stack and attaches the cdk-nag AwsSolutions checks (a finding fails synthesis).
 */
import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { parseConfig } from "./config.ts";
import { OngoingWebhooksStack } from "./ongoing-webhooks-stack.ts";

export interface WebhooksApp {
  readonly app: App;
  readonly stack: OngoingWebhooksStack;
}

export function createApp(props: AppProps = {}): WebhooksApp {
  const app = new App(props);
  const config = parseConfig(app.node.getAllContext());
  const stack = new OngoingWebhooksStack(app, config.stackName, {
    config,
    description:
      "Ongoing WMS webhooks: API Gateway → SQS → Lambda (e-mail, transport booking, article mirror)",
    ...(config.env.account || config.env.region ? { env: config.env } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
