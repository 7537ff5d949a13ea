import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
} from '@nestjs/common';

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/** The host's own error format for every route: `{ hostError: true, status, message }`. */
@Catch()
export class HostExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    host
      .switchToHttp()
      .getResponse<JsonResponse>()
      .status(status)
      .json({ hostError: true, status, message: (exception as Error).message });
  }
}
